"""A step's condition as the graph and the dashboard show it: in the shape a workflow file writes it,
and as one line of text, `input.amount > 1000 and not (input.productId in ["item-003"])`."""

import json
from typing import Any

from saga_orchestrator.engine.conditions import AllOf, AnyOf, Compare, Condition, Not, Scalar

SYMBOLS = {"eq": "==", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<=", "in": "in"}


def as_data(condition: Condition) -> dict[str, Any]:
    """The condition as a workflow file writes it: `{"ref": "input.amount", "gt": 1000}`, `{"all": [...]}`."""
    match condition:
        case Compare(ref, operator, value):
            return {"ref": str(ref), operator: _plain(value)}
        case AllOf(terms):
            return {"all": [as_data(term) for term in terms]}
        case AnyOf(terms):
            return {"any": [as_data(term) for term in terms]}
        case Not(term):
            return {"not": as_data(term)}


def as_text(condition: Condition, inner: bool = False) -> str:
    """The condition as a line to read; a combination within another is put in parentheses."""
    match condition:
        case Compare(ref, operator, value):
            return f"{ref} {SYMBOLS[operator]} {_literal(value)}"
        case AllOf(terms) | AnyOf(terms):
            joined = f" {'and' if isinstance(condition, AllOf) else 'or'} ".join(
                as_text(term, inner=True) for term in terms
            )
            return f"({joined})" if inner and len(terms) > 1 else joined
        case Not(term):
            return f"not ({as_text(term)})"


def _literal(value: Scalar | tuple[Scalar, ...]) -> str:
    return json.dumps(_plain(value), separators=(", ", ": "))


def _plain(value: Scalar | tuple[Scalar, ...]) -> Any:
    """The literal as the file wrote it: a list as a list, and a whole number without the `.0` that a
    file's `gt: 1000` is read with."""
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
