"""SCIM filters (RFC 7644 §3.4.2.2) as SQL: scim2-models parses them, this turns the tree into a WHERE clause.

Each resource type names its attributes as :class:`Column`s; a filter naming any other attribute is an
``invalidFilter`` error rather than a silent "no match", so a provider's mistake shows in its logs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scim2_models import InvalidFilterException, ScimFilter
from scim2_models.path import (
    AttrPath,
    CompareOperator,
    Comparison,
    FilterNode,
    FilterVisitor,
    LogicalExpr,
    LogicalOperator,
    Not,
    Present,
    ValuePath,
)
from sqlalchemy import ColumnElement, and_, false, func, not_, or_, true

from app.inputs import escape_like

KNOWN_URNS = (
    "urn:ietf:params:scim:schemas:core:2.0:user",
    "urn:ietf:params:scim:schemas:core:2.0:group",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user",
    "urn:ietf:params:scim:schemas:extension:atrium:2.0:user",
)


@dataclass(frozen=True)
class Column:
    """An attribute as SQL: its expression, how it compares, and (for lists) the condition an entry exists."""

    expression: Any
    kind: str = "string"  # string, boolean, datetime, integer
    case_exact: bool = False
    # For a value that is only there under a condition (an email's type exists when there is an email).
    present: Any = None
    # For ``eq``: a wider condition an index can answer (the exact one is then checked on what it finds).
    narrow: Callable[[str], Any] | None = None


def attribute_key(path: AttrPath | str) -> str:
    """``emails.value`` for any spelling of it, with or without its schema URN, in any case."""
    text = str(path).lower()
    for urn in KNOWN_URNS:
        if text.startswith(urn + ":"):
            text = text[len(urn) + 1 :]
    return text


def _coerce(column: Column, value: Any) -> Any:
    if column.kind == "boolean":
        if isinstance(value, str) and value.lower() in {"true", "false"}:
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise InvalidFilterException(detail="this attribute compares with true or false")
        return value
    if column.kind == "datetime":
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise InvalidFilterException(detail=f"{value!r} is not a date and time") from None
    if column.kind == "integer":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise InvalidFilterException(detail=f"{value!r} is not an id here") from None
    if value is None:
        return None
    return str(value)


def compare(column: Column, op: CompareOperator, value: Any) -> ColumnElement[bool]:
    """The SQL for ``column op value``, case-insensitive unless the attribute is caseExact."""
    value = _coerce(column, value)
    expression = column.expression
    if column.kind == "string" and not column.case_exact and value is not None:
        expression, value = func.lower(expression), value.lower()
    if column.kind == "boolean" and op not in (CompareOperator.eq, CompareOperator.ne):
        raise InvalidFilterException(detail="a true/false attribute compares only with eq or ne")
    condition: ColumnElement[bool]
    if value is None:
        condition = expression.is_(None) if op == CompareOperator.eq else expression.is_not(None)
    elif op == CompareOperator.eq:
        condition = expression == value
    elif op == CompareOperator.ne:
        condition = or_(expression.is_(None), expression != value)
    elif op in (CompareOperator.co, CompareOperator.sw, CompareOperator.ew):
        if column.kind != "string":
            raise InvalidFilterException(detail=f"{op.value} compares text only")
        pattern = escape_like(value)
        pattern = {"co": f"%{pattern}%", "sw": f"{pattern}%", "ew": f"%{pattern}"}[op.value]
        condition = expression.like(pattern, escape="\\")
    else:
        condition = {
            CompareOperator.gt: expression > value,
            CompareOperator.ge: expression >= value,
            CompareOperator.lt: expression < value,
            CompareOperator.le: expression <= value,
        }[op]
    if column.present is not None:
        condition = and_(column.present, condition)
    if column.narrow is not None and op == CompareOperator.eq and isinstance(value, str):
        condition = and_(column.narrow(value), condition)
    return condition


def present(column: Column) -> ColumnElement[bool]:
    condition = column.expression.is_not(None)
    if column.kind == "string":
        condition = and_(condition, column.expression != "")
    if column.present is not None:
        condition = and_(column.present, condition)
    return condition


class SqlFilter(FilterVisitor[ColumnElement[bool]]):
    """Turn a parsed filter into a SQLAlchemy condition over the columns *columns* names.

    *value_paths* builds the condition for ``attr[filter]``: it receives the attribute and a function that
    turns the inner filter into SQL over that attribute's sub-attributes.
    """

    def __init__(self, columns: Callable[[str], Column | None]) -> None:
        self.columns = columns
        self.prefix = ""

    def _column(self, path: AttrPath) -> Column:
        key = attribute_key(path)
        if self.prefix:
            key = f"{self.prefix}.{key}"
        column = self.columns(key)
        if column is None:
            raise InvalidFilterException(detail=f"{path} cannot be filtered on here")
        return column

    def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
        return compare(self._column(node.attr_path), node.op, node.value)

    def visit_present(self, node: Present) -> ColumnElement[bool]:
        return present(self._column(node.attr_path))

    def visit_not(self, node: Not) -> ColumnElement[bool]:
        return not_(self.visit(node.expr))

    def visit_logical_expr(self, node: LogicalExpr) -> ColumnElement[bool]:
        terms = [self.visit(term) for term in node.terms]
        return and_(*terms) if node.op == LogicalOperator.and_ else or_(*terms)

    def visit_value_path(self, node: ValuePath) -> ColumnElement[bool]:
        if self.prefix:
            raise InvalidFilterException(detail="a value filter cannot sit inside another")
        self.prefix = attribute_key(node.attr_path)
        try:
            return self.visit(node.val_filter)
        finally:
            self.prefix = ""


def parse(expression: str) -> FilterNode:
    """The tree of *expression*; an ``invalidFilter`` error naming the problem when it does not parse."""
    return ScimFilter(expression).ast


def to_sql(expression: str | None, columns: Callable[[str], Column | None]) -> ColumnElement[bool]:
    if not expression or not expression.strip():
        return true()
    return SqlFilter(columns).visit(parse(expression))


__all__ = ["Column", "SqlFilter", "attribute_key", "compare", "false", "parse", "present", "to_sql"]
