"""The express order when its services misbehave, over the real system: a step of the parallel group
fails while its sibling is slow, and the notification after the pivot fails for a while, or until an
operator retries it."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from ops.system import System
from tests.harness import Books, SagaApi, order
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e

EXPRESS = "/workflows/express_order"
OUT_OF_STOCK = "item-003"  # seeded with none: reserveStock fails at once
PAYMENT_DELAY_SECONDS = 2.0  # below the e2e system's step deadline: the payment is slow, not lost
NOTIFICATION_FAILURES = 2  # below the default three attempts: the third goes through
NOTIFICATION = "notification-service"


def _restarted_with(system: System, service: str, faults: dict[str, str]) -> Iterator[None]:
    """The service runs with `faults` during the test, and as configured again afterwards."""
    system.restart(service, env=faults)
    yield
    system.restart(service)


@pytest.fixture
def payment_slow(system: System) -> Iterator[None]:
    faults = {"FAULT_DELAY_COMMANDS": f"processPayment:{PAYMENT_DELAY_SECONDS}"}
    yield from _restarted_with(system, "payment-service", faults)


@pytest.fixture
def notification_flaky(system: System) -> Iterator[None]:
    faults = {"FAULT_FLAKY_COMMANDS": f"sendNotification:{NOTIFICATION_FAILURES}"}
    yield from _restarted_with(system, NOTIFICATION, faults)


@pytest.fixture
def notification_failing(system: System) -> Iterator[None]:
    yield from _restarted_with(system, NOTIFICATION, {"FAULT_FAIL_COMMANDS": "sendNotification"})


async def _status(api: SagaApi, order_id: str) -> dict[str, Any]:
    response = await api.http.get(f"{EXPRESS}/sagas/{order_id}/status")
    response.raise_for_status()
    status: dict[str, Any] = response.json()
    return status


async def _history(api: SagaApi, order_id: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = (await api.http.get(f"{EXPRESS}/sagas/{order_id}/history")).json()[
        "events"
    ]
    return events


async def _run(api: SagaApi, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Starts an express order and waits until it finished or parked: its status and its history."""
    started = await api.http.post(f"{EXPRESS}/start", json=body, params={"wait": 30})
    assert started.status_code == 202
    status = await eventually(
        lambda: _status(api, body["orderId"]), lambda s: s["phase"] in ("DONE", "PARKED"), timeout=30
    )
    return status, await _history(api, body["orderId"])


def _seq(events: list[dict[str, Any]], kind: str, command: str) -> int:
    """Where in the history the first event of this kind and command is."""
    seq: int = next(e["seq"] for e in events if (e["type"], e["command"]) == (kind, command))
    return seq


def _sent(events: list[dict[str, Any]]) -> list[str]:
    return [e["command"] for e in events if e["type"] == "COMMAND"]


@pytest.mark.usefixtures("payment_slow")
async def test_a_failed_reservation_waits_for_the_slow_payment_then_refunds_it(
    api: SagaApi, books: Books
) -> None:
    order_id = random_ref("express")

    status, events = await _run(api, order(order_id, product=OUT_OF_STOCK))

    assert (status["status"], status["failedStep"]) == ("FAILED", "reserveStock")
    # The reservation failed while the payment was still out; the refund waited for its reply.
    assert _seq(events, "REPLY", "reserveStock") < _seq(events, "REPLY", "processPayment")
    assert _seq(events, "REPLY", "processPayment") < _seq(events, "COMMAND", "cancelPayment")
    # The failed reservation is not undone, and nothing after the group was sent.
    assert _sent(events) == ["createOrder", "processPayment", "reserveStock", "cancelPayment", "cancelOrder"]
    assert await books.status("payment-service", "payments", order_id) == "REFUNDED"
    assert await books.status("order-service", "orders", order_id) == "CANCELLED"
    assert await books.status("shipping-service", "shipments", order_id) is None


@pytest.mark.usefixtures("notification_flaky")
async def test_a_notification_that_fails_twice_is_sent_on_its_third_attempt(
    api: SagaApi, books: Books
) -> None:
    order_id = random_ref("express")

    status, events = await _run(api, order(order_id))

    assert status["status"] == "COMPLETED"
    notifying = [(e["type"], e["attempt"]) for e in events if e["command"] == "sendNotification"]
    assert [attempt for kind, attempt in notifying if kind == "COMMAND"] == [1, 2, 3]
    assert [kind for kind, _ in notifying].count("RETRY_SCHEDULED") == NOTIFICATION_FAILURES
    assert _sent(events) == ["createOrder", "processPayment", "reserveStock", "createShipment"] + [
        "sendNotification"
    ] * (NOTIFICATION_FAILURES + 1)
    assert await books.status(NOTIFICATION, "notifications", order_id) == "SENT"
    assert await books.status("payment-service", "payments", order_id) == "CHARGED"


@pytest.mark.usefixtures("notification_failing")
async def test_a_notification_that_keeps_failing_parks_until_an_operator_retries(
    system: System, api: SagaApi, books: Books
) -> None:
    order_id = random_ref("express")

    parked, events = await _run(api, order(order_id))

    assert parked["status"] == "COMPLETION_FAILED"
    assert "cancelPayment" not in _sent(events)  # shipped: nothing is undone
    assert await books.status("shipping-service", "shipments", order_id) == "CREATED"
    assert await books.status(NOTIFICATION, "notifications", order_id) is None

    await asyncio.to_thread(system.restart, NOTIFICATION, env={"FAULT_FAIL_COMMANDS": ""})
    retried = await api.http.post(f"{EXPRESS}/sagas/{order_id}/retry")

    assert retried.status_code == 202
    done = await eventually(lambda: _status(api, order_id), lambda s: s["phase"] == "DONE", timeout=30)
    assert done["status"] == "COMPLETED"
    assert await books.status(NOTIFICATION, "notifications", order_id) == "SENT"
    assert "RESUMED" in [e["type"] for e in await _history(api, order_id)]
