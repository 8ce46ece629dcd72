"""Automatic tenant scoping for every ORM read and write.

Reads: ``do_orm_execute`` adds ``with_loader_criteria(TenantScoped, ...)`` so
every SELECT, UPDATE and DELETE of a scoped model is filtered by the current
tenant; a statement whose top-level entity is scoped raises when no tenant is
in context (fail closed). Writes: ``before_flush`` stamps new objects with the
current tenant and refuses any object of another tenant. On PostgreSQL the
same context is copied into ``app.tenant_id`` for row-level security; the platform path's
cross-tenant reads and writes run as the platform role instead (app/tenancy/session.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, event, false, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.elements import BindParameter

from app.tenancy import context
from app.tenancy.models import TenantScoped

_GUC_KEY = "_atrium_rls_guc"


def _is_scoped(mapper: Any) -> bool:
    return isinstance(mapper.class_, type) and issubclass(mapper.class_, TenantScoped)


def _guc_values() -> str:
    tenant_id = context.current_tenant_id()
    return "" if tenant_id is None else str(tenant_id)


def _set_guc(connection: Any, tenant: str) -> None:
    # The only setting the policies read: nothing the application role sets shows it another tenant.
    # Sent as it is (PostgreSQL only, a bound value): every transaction runs it, and compiling a text()
    # construct cost as much as the statement's own round trip in Python.
    connection.exec_driver_sql("SELECT set_config('app.tenant_id', %(tenant)s, true)", {"tenant": tenant})


def sync_database_context(session: Session) -> None:
    """Copy the tenant context into the PostgreSQL transaction when it changed."""
    values = _guc_values()
    # Only set on PostgreSQL, by this function or when a transaction begins (_after_begin): the same
    # value means nothing to do, without looking the bind and connection up for every statement.
    if session.info.get(_GUC_KEY) == values:
        return
    if session.get_bind().dialect.name != "postgresql":
        return
    connection = session.connection()  # may begin the transaction, which sets it (_after_begin)
    if session.info.get(_GUC_KEY) != values:
        _set_guc(connection, values)
        session.info[_GUC_KEY] = values


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, transaction: Any, connection: Any) -> None:
    if connection.dialect.name != "postgresql":
        return
    values = _guc_values()
    _set_guc(connection, values)
    session.info[_GUC_KEY] = values


@event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    ctx = context.current()
    sync_database_context(state.session)
    if state.is_column_load:
        # Refreshing an expired or deferred attribute of a loaded object.
        if ctx.tenant_id is None and not ctx.unscoped and any(_is_scoped(m) for m in state.all_mappers):
            raise context.TenantContextMissing("refresh of a tenant-scoped object with no tenant in context")
        return
    if ctx.unscoped or not (state.is_select or state.is_update or state.is_delete):
        return
    if ctx.tenant_id is None:
        if any(_is_scoped(m) for m in state.all_mappers):
            names = ", ".join(sorted(m.class_.__name__ for m in state.all_mappers if _is_scoped(m)))
            raise context.TenantContextMissing(f"query of tenant-scoped {names} with no tenant in context")
        # A scoped model reached only through a join: return none of its rows.
        state.statement = state.statement.options(
            with_loader_criteria(TenantScoped, lambda cls: false(), include_aliases=True)
        )
        return
    state.statement = _scoped(state.statement, ctx.tenant_id)


# A statement built once and run again (a module's prebuilt query, bind parameters for its values) gets
# the same scoped copy each time: SQLAlchemy keeps a statement's cache key on the statement, so the
# copy's is computed once instead of on every run (a thousand calls and more for a large union). The
# copy holds the tenant as a bound value of its criteria, so one copy per tenant. Statements built per
# request miss and are dropped with the rest when the table is full.
_SCOPED: dict[tuple[int, int], tuple[Any, Any]] = {}
_SCOPED_MAX = 2048


def _scoped(statement: Any, tenant_id: int) -> Any:
    key = (id(statement), tenant_id)
    kept = _SCOPED.get(key)
    if kept is not None and kept[0] is statement:
        return kept[1]
    scoped = statement.options(tenant_criteria(tenant_id))
    if len(_SCOPED) >= _SCOPED_MAX:
        _SCOPED.clear()
    _SCOPED[key] = (statement, scoped)  # the statement itself is kept, so its id is not reused meanwhile
    return scoped


class _TenantValue(BindParameter[int]):
    """The tenant id bound in the tenant criteria, told apart from its copies without building SQL.

    The criteria put one copy of this value per scoped entity into a statement, all with its hash, and
    every run SQLAlchemy files them in dictionaries (``construct_params``), where same-hash keys are
    compared with ``==``: for a bound value that builds an SQL comparison whose truth is whether the two
    hashes are equal, some thirty calls each time (1,500 a page on My learning). The same answer, directly.
    """

    inherit_cache = True  # compiled and cached exactly as any bound value

    def __eq__(self, other: object) -> bool:  # type: ignore[override]
        return hash(self) == hash(other)

    __hash__ = BindParameter.__hash__


@lru_cache(maxsize=4096)
def tenant_criteria(tenant_id: int) -> Any:
    """The option that keeps every tenant-scoped entity of a statement (aliases too) to *tenant_id*'s rows:
    what every ORM execution gets, for a statement compiled by hand (a ``COPY`` of a report's SELECT).

    Made once a tenant and shared by its statements (an option is immutable): building it costs some forty
    calls, paid by every statement before. The id is a bound value (a unique name in each statement, as
    SQLAlchemy names a lambda's values), so one compiled statement serves every tenant.
    """
    value = _TenantValue("tenant_id", tenant_id, type_=Integer(), unique=True)
    return with_loader_criteria(TenantScoped, lambda cls: cls.tenant_id == value, include_aliases=True)


@event.listens_for(TenantScoped, "load", propagate=True)
def _remember_tenant_on_load(target: TenantScoped, load_context: Any) -> None:
    _remember_tenant(target)


@event.listens_for(TenantScoped, "refresh", propagate=True)
def _remember_tenant_on_refresh(target: TenantScoped, load_context: Any, attrs: Any) -> None:
    _remember_tenant(target)


def _remember_tenant(target: TenantScoped) -> None:
    """Note the object's tenant where expiring it (a rollback) does not erase it (see context)."""
    tenant_id = target.__dict__.get("tenant_id")
    if tenant_id is not None:
        inspect(target).info[context.TENANT_INFO_KEY] = tenant_id


@event.listens_for(Session, "before_flush")
def _check_writes(session: Session, flush_context: Any, instances: Any) -> None:
    ctx = context.current()
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantScoped):
            continue
        if ctx.unscoped:
            if obj.tenant_id is None:
                raise context.TenantContextMissing(
                    f"{type(obj).__name__} written in an unscoped block without a tenant_id"
                )
            _remember_tenant(obj)
            continue
        if ctx.tenant_id is None:
            raise context.TenantContextMissing(f"{type(obj).__name__} written with no tenant in context")
        if obj.tenant_id is None:
            obj.tenant_id = ctx.tenant_id
        elif obj.tenant_id != ctx.tenant_id:
            raise context.CrossTenantWrite(
                f"{type(obj).__name__} of tenant {obj.tenant_id} written as tenant {ctx.tenant_id}"
            )
        _remember_tenant(obj)
    sync_database_context(session)
