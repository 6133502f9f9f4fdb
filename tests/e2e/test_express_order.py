"""The express order over the real system: the payment and the stock at once, a fraud check above
1000, the shipment as the pivot and a notification after it; a fraud check that refuses undoes what
ran, the refund naming the payment it undoes."""

from typing import Any

import pytest

from tests.harness import Books, SagaApi, order
from tests.polling import random_ref

pytestmark = pytest.mark.e2e

EXPRESS = "/workflows/express_order"


async def _run(api: SagaApi, amount: float) -> tuple[str, dict[str, Any], list[dict[str, Any]]]:
    """Starts an express order of `amount` and waits for its end: its id, its status and its history."""
    order_id = random_ref("express")
    started = await api.http.post(
        f"{EXPRESS}/start", json=order(order_id, amount=amount), params={"wait": 30}
    )
    assert started.status_code == 202
    status = (await api.http.get(f"{EXPRESS}/sagas/{order_id}/status")).json()
    events = (await api.http.get(f"{EXPRESS}/sagas/{order_id}/history")).json()["events"]
    return order_id, status, events


def _sent(events: list[dict[str, Any]]) -> set[str]:
    return {e["command"] for e in events if e["type"] == "COMMAND"}


async def _one(books: Books, service: str, sql: str, order_id: str) -> dict[str, Any]:
    [row] = await books.fetch(service, sql, order_id)
    return dict(row)


@pytest.mark.parametrize(("amount", "checked"), [(500, False), (2000, True)])
async def test_an_express_order_ships_with_its_payment_and_notifies_the_customer(
    api: SagaApi, books: Books, amount: float, checked: bool
) -> None:
    order_id, status, events = await _run(api, amount)

    assert status["status"] == "COMPLETED"
    skipped = [e["command"] for e in events if e["type"] == "SKIPPED"]
    assert skipped == ([] if checked else ["assessFraud"])
    payment = await _one(
        books, "payment-service", "SELECT payment_id FROM payments WHERE order_id = $1", order_id
    )
    shipment = await _one(
        books,
        "shipping-service",
        "SELECT shipment_id, payment_id FROM shipments WHERE order_id = $1",
        order_id,
    )
    notification = await _one(
        books,
        "notification-service",
        "SELECT shipment_id, status FROM notifications WHERE order_id = $1",
        order_id,
    )
    assert shipment["payment_id"] == str(payment["payment_id"])
    assert notification == {"shipment_id": str(shipment["shipment_id"]), "status": "SENT"}
    assessments = await books.fetch(
        "fraud-service", "SELECT payment_id, status FROM assessments WHERE order_id = $1", order_id
    )
    expected = [{"payment_id": str(payment["payment_id"]), "status": "CLEARED"}] if checked else []
    assert [dict(row) for row in assessments] == expected


async def test_a_suspected_express_order_is_undone_and_its_payment_refunded_by_its_id(
    api: SagaApi, books: Books
) -> None:
    before = await books.stock("item-001")

    order_id, status, events = await _run(api, 6000)

    assert (status["status"], status["failedStep"]) == ("FAILED", "assessFraud")
    assert {"cancelPayment", "releaseStock", "cancelOrder"} <= _sent(events)
    assert not {"createShipment", "sendNotification"} & _sent(events)
    # A refund naming another payment would have been refused, and the saga parked instead.
    assert await books.status("payment-service", "payments", order_id) == "REFUNDED"
    assert await books.status("order-service", "orders", order_id) == "CANCELLED"
    assert await books.stock("item-001") == before
    assert await books.status("shipping-service", "shipments", order_id) is None
