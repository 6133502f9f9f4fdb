"""Conditions on a saga's data: comparisons of one value with a literal, and their boolean
combinations. They are data read by this evaluator, never code: a definition can compare, combine
and negate, and nothing else.

A value is named by a reference: `input.<field>` for the saga's input, `<command>.<field>` for a
field of the result of the step that `command` starts. A reference to nothing (a skipped step, a
field its result lacks) makes every comparison with it false.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

INPUT = "input"

Operator = Literal["eq", "ne", "gt", "ge", "lt", "le", "in"]
ORDERING: frozenset[Operator] = frozenset(("gt", "ge", "lt", "le"))
Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Ref:
    """Where a value comes from: the saga's input (`source` INPUT) or the result of a step, named by
    its command."""

    source: str
    field: str

    @classmethod
    def parse(cls, text: str) -> "Ref":
        source, _, field = text.partition(".")
        if not source or not field or "." in field:
            raise ValueError(f"{text!r} is not a reference: write input.<field> or <command>.<field>")
        return cls(source, field)

    @property
    def of_input(self) -> bool:
        return self.source == INPUT

    def __str__(self) -> str:
        return f"{self.source}.{self.field}"


@dataclass(frozen=True)
class Compare:
    ref: Ref
    operator: Operator
    value: Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class AllOf:
    terms: tuple["Condition", ...]


@dataclass(frozen=True)
class AnyOf:
    terms: tuple["Condition", ...]


@dataclass(frozen=True)
class Not:
    term: "Condition"


Condition = Compare | AllOf | AnyOf | Not

# The value a reference names, or MISSING.
Lookup = Callable[[Ref], Any]
MISSING: Any = object()


def holds(condition: Condition, lookup: Lookup) -> bool:
    match condition:
        case Compare(ref, operator, value):
            return _compares(lookup(ref), operator, value)
        case AllOf(terms):
            return all(holds(term, lookup) for term in terms)
        case AnyOf(terms):
            return any(holds(term, lookup) for term in terms)
        case Not(term):
            return not holds(term, lookup)


def refs(condition: Condition) -> tuple[Compare, ...]:
    """Every comparison of the condition, for the checks made at load."""
    match condition:
        case Compare():
            return (condition,)
        case AllOf(terms) | AnyOf(terms):
            return tuple(compare for term in terms for compare in refs(term))
        case Not(term):
            return refs(term)


def _compares(actual: Any, operator: Operator, expected: Scalar | tuple[Scalar, ...]) -> bool:
    if actual is MISSING:
        return False
    if operator == "in":
        assert isinstance(expected, tuple)
        return any(_equal(actual, option) for option in expected)
    if operator == "eq":
        return _equal(actual, expected)
    if operator == "ne":
        return not _equal(actual, expected)
    left, right = _number(actual), _number(expected)
    if left is None or right is None:
        return False
    return _ORDER[operator](left, right)


_ORDER: Mapping[str, Callable[[Decimal, Decimal], bool]] = {
    "gt": Decimal.__gt__,
    "ge": Decimal.__ge__,
    "lt": Decimal.__lt__,
    "le": Decimal.__le__,
}


def _equal(actual: Any, expected: Any) -> bool:
    """Numbers by value, whether written as a number or, like an amount, as a decimal string."""
    if _is_number(expected):
        number = _number(actual)
        return number is not None and number == _number(expected)
    return bool(actual == expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _number(value: Any) -> Decimal | None:
    """The value as an exact number: a number, or a string that spells one (as amounts travel)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None
