"""The rules every edge applies to ids, quantities, amounts and replies, whoever sent them."""

from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from saga_orchestrator.api.schemas import StartSaga
from shared import json
from shared.contracts import CreateOrder, ProcessPayment, Reply

pytestmark = pytest.mark.unit

ORDER = {"orderId": "order-1", "productId": "item-001", "quantity": 2, "amount": "1000"}


@pytest.mark.parametrize("identifier", ["a", "A9", "order-123", "o.1:2_3-4", "x" * 64, "2026-11-30T10:00:00"])
def test_an_identifier_of_letters_digits_and_a_few_marks_is_taken(identifier: str) -> None:
    assert CreateOrder.model_validate({**ORDER, "orderId": identifier}).order_id == identifier


@pytest.mark.parametrize(
    "identifier",
    [
        "",
        "x" * 65,
        "-starts-with-a-mark",
        "has space",
        "a\n",
        "a\r\nb",
        "a\x00",
        "\ud800",
        "a/b",
        "a%00",
        "é",
    ],
)
def test_any_other_identifier_is_refused_by_messages_and_the_api_alike(identifier: str) -> None:
    with pytest.raises(ValidationError, match="orderId"):
        CreateOrder.model_validate({**ORDER, "orderId": identifier})
    with pytest.raises(ValidationError, match="productId"):
        StartSaga.model_validate({**ORDER, "amount": 1, "productId": identifier})


@pytest.mark.parametrize("quantity", [0, -1, 1_000_001, 3_000_000_000, 2**63])
def test_a_quantity_outside_one_to_a_million_is_refused(quantity: int) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        CreateOrder.model_validate({**ORDER, "quantity": quantity})


@pytest.mark.parametrize(
    ("amount", "carried"),
    [("1000", "1000.00"), (Decimal("0.1"), "0.10"), ("1000000000", "1000000000.00"), (7, "7.00")],
)
def test_an_amount_is_carried_as_an_exact_decimal_string_in_cents(amount: Any, carried: str) -> None:
    payment = ProcessPayment.model_validate({"orderId": "o-1", "amount": amount})

    assert payment.amount == Decimal(carried)
    assert json.loads(json.dumps(payment.model_dump(mode="json", by_alias=True)))["amount"] == carried


@pytest.mark.parametrize(
    "amount", ["0", "-5", "0.001", "1000000000.01", "1e999", "NaN", "Infinity", float("nan"), 1e308]
)
def test_an_amount_that_is_not_a_positive_sum_in_cents_up_to_a_billion_is_refused(amount: Any) -> None:
    with pytest.raises(ValidationError, match="amount"):
        ProcessPayment.model_validate({"orderId": "o-1", "amount": amount})


def _reply(**fields: Any) -> dict[str, Any]:
    return {"success": False, "sagaId": str(uuid4()), "stepId": "createOrder", **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"result": {"note": "a\x00b"}},
        {"result": {"deep": [{"er": "\x00"}]}},
        {"result": {"\x00": 1}},
        {"error": "refused\x00"},
        {"stepId": "create\x00Order"},
        {"code": "Not A Code"},
    ],
)
def test_a_reply_postgres_could_not_store_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Reply.model_validate(_reply(**fields))


def test_a_failure_reply_carries_a_code_and_a_message() -> None:
    reply = Reply.model_validate(_reply(code="insufficient_stock", error="insufficient stock"))

    assert (reply.code, reply.error) == ("insufficient_stock", "insufficient stock")
