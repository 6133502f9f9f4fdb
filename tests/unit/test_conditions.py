"""The conditions' evaluator: comparisons and their combinations over a saga's data, nothing else."""

from typing import Any

import pytest

from saga_orchestrator.engine.conditions import MISSING, AllOf, AnyOf, Compare, Condition, Not, Ref, holds

pytestmark = pytest.mark.unit

DATA: dict[str, Any] = {
    "input.amount": "1500.00",  # an amount travels as a decimal string
    "input.quantity": 2,
    "input.productId": "p-1",
    "doPay.flagged": True,
}


def _lookup(ref: Ref) -> Any:
    return DATA.get(str(ref), MISSING)


def _compare(ref: str, operator: Any, value: Any) -> Compare:
    return Compare(Ref.parse(ref), operator, value)


CASES: list[tuple[Condition, bool]] = [
    (_compare("input.amount", "gt", 1000), True),
    (_compare("input.amount", "gt", 1500), False),
    (_compare("input.amount", "ge", 1500), True),
    (_compare("input.amount", "eq", 1500), True),  # by value, not by spelling
    (_compare("input.amount", "lt", 1500.01), True),
    (_compare("input.quantity", "le", 1), False),
    (_compare("input.quantity", "ne", 3), True),
    (_compare("input.productId", "eq", "p-1"), True),
    (_compare("input.productId", "in", ("p-2", "p-1")), True),
    (_compare("input.productId", "in", ("p-2",)), False),
    (_compare("input.productId", "gt", 1), False),  # text is no number
    (_compare("doPay.flagged", "eq", True), True),
    (_compare("doPay.flagged", "eq", 1), False),  # true is not the number 1
    (_compare("doPay.absent", "eq", None), False),  # nothing compares with a missing value
    (_compare("doPay.absent", "ne", "x"), False),
    (Not(_compare("doPay.absent", "eq", "x")), True),
    (AllOf((_compare("input.quantity", "ge", 2), _compare("input.productId", "eq", "p-1"))), True),
    (AllOf((_compare("input.quantity", "ge", 2), _compare("input.productId", "eq", "p-2"))), False),
    (AnyOf((_compare("input.quantity", "ge", 5), _compare("input.productId", "eq", "p-1"))), True),
    (AnyOf((_compare("input.quantity", "ge", 5), Not(_compare("doPay.flagged", "eq", True)))), False),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_a_condition_holds_as_its_comparisons_and_combinations_say(
    condition: Condition, expected: bool
) -> None:
    assert holds(condition, _lookup) is expected


@pytest.mark.parametrize("text", ["amount", "input.", ".amount", "input.a.b"])
def test_a_reference_names_a_source_and_one_field(text: str) -> None:
    with pytest.raises(ValueError, match="is not a reference"):
        Ref.parse(text)
