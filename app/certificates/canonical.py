"""RDF Dataset Canonicalization (RDFC-1.0) of credentials, with their JSON-LD expansion done once per shape.

Canonicalizing a credential is JSON-LD expansion (apply the contexts: every term to its IRI, every
value to a literal or a node reference), then RDF and the canonical labelling. Expansion was four
fifths of the time, almost all of it pyld processing the Open Badges context's type-scoped contexts
again for every document, and it depends on the document's keys, its types and its contexts, not on
its values. So each credential is expanded as a template: its values replaced by placeholders
(``https://slot.invalid/N``), expanded by pyld once per shape and kept, then filled in.

A value goes in as a placeholder only where that gives exactly what pyld gives for the value itself:
where expansion makes it a literal (``@value``: any string, whatever it says), or an absolute URL where
it makes it a node reference (kept as it is). Anything else (a term a context maps to an IRI, such as
``assertionMethod``, and every ``type`` and ``@context``) stays in the template as it is, and is part
of what the template is kept under. tests/certificates/test_badges.py compares the result with pyld's
own canonicalization.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

# Values never replaced: they choose the contexts (type-scoped contexts follow the types).
_AS_IS = frozenset({"@context", "type", "@type"})
_PLACEHOLDER = "https://slot.invalid/"
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_KEPT = 64  # shapes and templates kept per process (a credential has a handful)

# Per shape (the document with every value a placeholder): which placeholders expand to literals, and
# which to node references.
_kinds: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
# Per template (the shape with the values that stay as they are): its expansion.
_expanded: dict[tuple[str, tuple[tuple[int, str], ...]], Any] = {}


def _values(node: Any, found: list[str]) -> Any:
    """*node* with its values, in order, replaced by placeholders (appended to *found*)."""
    if isinstance(node, dict):
        return {key: value if key in _AS_IS else _values(value, found) for key, value in node.items()}
    if isinstance(node, list):
        return [_values(item, found) for item in node]
    if isinstance(node, str):
        found.append(node)
        return f"{_PLACEHOLDER}{len(found) - 1}"
    return node


def _kept(node: Any, values: list[str], as_is: set[int]) -> Any:
    """The template: *node* (with placeholders) with the placeholders of *as_is* back to their values."""
    if isinstance(node, dict):
        return {key: _kept(value, values, as_is) for key, value in node.items()}
    if isinstance(node, list):
        return [_kept(item, values, as_is) for item in node]
    if isinstance(node, str) and node.startswith(_PLACEHOLDER):
        index = int(node[len(_PLACEHOLDER) :])
        return values[index] if index in as_is else node
    return node


def _kinds_in(node: Any, literals: set[int], references: set[int], key: str | None = None) -> None:
    if isinstance(node, dict):
        for name, value in node.items():
            _kinds_in(value, literals, references, name)
    elif isinstance(node, list):
        for item in node:
            _kinds_in(item, literals, references, key)
    elif isinstance(node, str) and node.startswith(_PLACEHOLDER):
        (literals if key == "@value" else references).add(int(node[len(_PLACEHOLDER) :]))


def _filled(node: Any, values: list[str]) -> Any:
    if isinstance(node, dict):
        return {key: _filled(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_filled(item, values) for item in node]
    if isinstance(node, str) and node.startswith(_PLACEHOLDER):
        return values[int(node[len(_PLACEHOLDER) :])]
    return node


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(cache) >= _KEPT:
        cache.clear()
    cache[key] = value
    return value


def expanded(document: dict[str, Any], document_loader: Callable[..., Any]) -> Any:
    """*document* expanded (JSON-LD 1.1), as pyld expands it."""
    from pyld import jsonld

    options = {"documentLoader": document_loader}
    values: list[str] = []
    shape = _values(document, values)
    shape_key = json.dumps(shape, sort_keys=True, ensure_ascii=False)
    kinds = _kinds.get(shape_key)
    if kinds is None:
        literals: set[int] = set()
        references: set[int] = set()
        _kinds_in(jsonld.expand(shape, options), literals, references)
        kinds = _remember(_kinds, shape_key, (frozenset(literals), frozenset(references)))
    literals_at, references_at = kinds
    as_is = {
        index
        for index, value in enumerate(values)
        if index not in literals_at
        and not (index in references_at and _ABSOLUTE_URL.match(value) and not value.startswith(_PLACEHOLDER))
    }
    if any(values[index].startswith(_PLACEHOLDER) for index in as_is):
        return jsonld.expand(document, options)  # a value the filling-in would take for a placeholder
    template_key = (shape_key, tuple((index, values[index]) for index in sorted(as_is)))
    template = _expanded.get(template_key)
    if template is None:
        template = _remember(_expanded, template_key, jsonld.expand(_kept(shape, values, as_is), options))
    return _filled(template, values)


def nquads(document: dict[str, Any], document_loader: Callable[..., Any]) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of *document*."""
    from pyld import jsonld

    return str(
        jsonld.normalize(
            expanded(document, document_loader),
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader},
        )
    )
