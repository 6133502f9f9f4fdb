"""The order saga through the HTTP API: the happy path and a failure at each step."""

from typing import Any

import pytest

from ops.system import replica
from tests.harness import Books, SagaApi, order
from tests.polling import random_ref

pytestmark = pytest.mark.e2e

FORWARD = ["STARTED", "ORDER_CREATED", "PAYMENT_PROCESSED", "STOCK_RESERVED", "SHIPPED", "COMPLETED"]


async def test_an_order_runs_every_step_and_completes(api: SagaApi, books: Books) -> None:
    order_id = random_ref("order")
    stock_before = await books.stock("item-001")

    response = await api.start(order(order_id, quantity=2, amount=1000))

    assert response.status_code == 202
    assert response.json()["status"] == "STARTED"
    status = await api.finished(order_id)
    assert status["status"] == "COMPLETED"
    assert status["sagaId"] == response.json()["sagaId"]
    assert await api.states(order_id) == FORWARD
    assert await books.stock("item-001") == stock_before - 2
    assert await books.status("order-service", "orders", order_id) == "CREATED"
    assert await books.status("payment-service", "payments", order_id) == "CHARGED"
    assert await books.status("shipping-service", "shipments", order_id) == "CREATED"


async def test_history_lists_every_command_reply_and_state_in_order(api: SagaApi) -> None:
    order_id = random_ref("order")
    await api.start(order(order_id))
    await api.finished(order_id)

    events = await api.history(order_id)

    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    exchanges = [(e["type"], e["command"]) for e in events if e["type"] != "STATE"]
    assert exchanges == [
        (kind, command)
        for command in ("createOrder", "processPayment", "reserveStock", "createShipment")
        for kind in ("COMMAND", "REPLY")
    ]
    replies = [e for e in events if e["type"] == "REPLY"]
    assert all(e["success"] is True and e["error"] is None for e in replies)
    assert {e["service"] for e in replies} == {"order", "payment", "inventory", "shipping"}
    assert replies[0]["result"]["orderId"] == order_id
    assert {e["replica"] for e in events} == {replica(0)}, "the lone replica handled every event"


@pytest.mark.parametrize(
    ("failing", "body", "compensations", "states"),
    [
        pytest.param(
            "processPayment",
            {"amount": 20000},
            ["cancelOrder"],
            ["STARTED", "ORDER_CREATED", "ORDER_CANCELLED", "FAILED"],
            id="payment-declined",
        ),
        pytest.param(
            "reserveStock",
            {"product": "item-003"},
            ["cancelPayment", "cancelOrder"],
            [
                "STARTED",
                "ORDER_CREATED",
                "PAYMENT_PROCESSED",
                "PAYMENT_CANCELLED",
                "ORDER_CANCELLED",
                "FAILED",
            ],
            id="out-of-stock",
        ),
        pytest.param(
            "createShipment",
            {"quantity": 20},
            ["releaseStock", "cancelPayment", "cancelOrder"],
            [
                "STARTED",
                "ORDER_CREATED",
                "PAYMENT_PROCESSED",
                "STOCK_RESERVED",
                "STOCK_RELEASED",
                "PAYMENT_CANCELLED",
                "ORDER_CANCELLED",
                "FAILED",
            ],
            id="shipment-too-large",
        ),
    ],
)
async def test_a_failed_step_compensates_the_steps_before_it_in_reverse(
    api: SagaApi,
    books: Books,
    failing: str,
    body: dict[str, Any],
    compensations: list[str],
    states: list[str],
) -> None:
    order_id = random_ref("order")
    product = body.get("product", "item-001")
    stock_before = await books.stock(product)

    await api.start(
        order(order_id, quantity=body.get("quantity", 1), amount=body.get("amount", 100), product=product)
    )

    status = await api.finished(order_id)
    assert status["status"] == "FAILED"
    assert status["failedStep"] == failing
    assert status["error"]
    assert await api.states(order_id) == states
    commands = await api.commands(order_id)
    assert commands[commands.index(failing) + 1 :] == compensations
    assert await books.stock(product) == stock_before
    assert await books.status("order-service", "orders", order_id) == "CANCELLED"
    assert await books.status("payment-service", "payments", order_id) in (None, "REFUNDED")
    assert await books.status("shipping-service", "shipments", order_id) is None


async def test_the_seeds_example_fails_at_shipping_and_restores_stock(api: SagaApi, books: Books) -> None:
    """quantity 20 of item-001 reserves stock, then fails at shipping; stock returns."""
    order_id = random_ref("order")
    before = await books.stock("item-001")

    await api.start(order(order_id, quantity=20, amount=1000))

    assert (await api.finished(order_id))["status"] == "FAILED"
    assert [c for c in await api.commands(order_id)][-3:] == ["releaseStock", "cancelPayment", "cancelOrder"]
    assert await books.stock("item-001") == before
