"""The business limits the payment, fraud and shipping services apply before touching their databases."""

from decimal import Decimal

import pytest

from fraud_service.rules import suspicion
from payment_service.rules import decline_reason
from shipping_service.rules import oversize_reason

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("amount", ["0.01", "49.90", "9999.99", "10000", "10000.00"])
def test_a_payment_up_to_the_limit_goes_through(amount: str) -> None:
    assert decline_reason(Decimal(amount)) is None


@pytest.mark.parametrize(
    ("amount", "shown"),
    [("10000.01", "10000.01"), ("15000.00", "15000"), ("15000", "15000"), ("1000000.00", "1000000")],
)
def test_a_payment_over_the_limit_is_declined_showing_the_amount(amount: str, shown: str) -> None:
    assert decline_reason(Decimal(amount)) == f"payment declined: amount {shown} exceeds the limit of 10000"


@pytest.mark.parametrize("amount", ["0.01", "1000.01", "4999.99", "5000", "5000.00"])
def test_a_payment_up_to_the_review_limit_is_cleared(amount: str) -> None:
    assert suspicion(Decimal(amount)) is None


@pytest.mark.parametrize(
    ("amount", "shown"), [("5000.01", "5000.01"), ("6000.00", "6000"), ("9999.50", "9999.50")]
)
def test_a_payment_over_the_review_limit_is_suspected_showing_the_amount(amount: str, shown: str) -> None:
    assert suspicion(Decimal(amount)) == f"fraud suspected: amount {shown} is above the review limit of 5000"


@pytest.mark.parametrize("quantity", [1, 10])
def test_a_shipment_up_to_ten_items_fits(quantity: int) -> None:
    assert oversize_reason(quantity) is None


def test_a_larger_shipment_is_refused_saying_by_how_much() -> None:
    assert oversize_reason(20) == "quantity 20 exceeds shipment size 10"
