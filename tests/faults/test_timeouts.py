"""A service that never answers: retries with backoff, then the step is failed and compensated."""

import asyncio

import pytest

from ops.traffic import PRODUCT
from tests.faults.conftest import Launch
from tests.harness import Books, SagaApi, order
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.faults

UNDO_AFTER_SHIPPING = ["cancelShipment", "releaseStock", "cancelPayment", "cancelOrder"]


async def test_a_silent_step_is_retried_then_compensated_including_itself(launch: Launch) -> None:
    async with (
        launch(service_env={"shipping-service": {"FAULT_DROP_COMMANDS": "createShipment"}}) as system,
        SagaApi(system.url()) as api,
    ):
        books = Books(system)
        order_id = random_ref("order")
        await api.start(order(order_id, product=PRODUCT))

        status = await api.finished(order_id)

        assert status["status"] == "FAILED"
        assert status["failedStep"] == "createShipment"
        assert "timed out after 3 attempts" in status["error"]
        history = await api.history(order_id)
        shipping = [(e["type"], e["attempt"]) for e in history if e["command"] == "createShipment"]
        assert shipping == [
            ("COMMAND", 1), ("TIMEOUT", 1), ("RETRY_SCHEDULED", 1),
            ("COMMAND", 2), ("TIMEOUT", 2), ("RETRY_SCHEDULED", 2),
            ("COMMAND", 3), ("TIMEOUT", 3),
        ]  # fmt: skip
        commands = [e["command"] for e in history if e["type"] == "COMMAND"]
        assert commands[-4:] == UNDO_AFTER_SHIPPING
        assert await books.status("shipping-service", "shipments", order_id) == "VOIDED"


async def test_a_command_that_arrives_after_its_deadline_is_refused_without_effect(launch: Launch) -> None:
    """Shipping is down while the saga gives up on it; the late createShipment must not ship."""
    async with launch() as system, SagaApi(system.url()) as api:
        books = Books(system)
        system.kill("shipping-service")
        order_id = random_ref("order")
        await api.start(order(order_id, product=PRODUCT))
        parked = await api.finished_or_parked(order_id)
        assert parked["status"] == "COMPENSATION_FAILED"  # cancelShipment went unanswered too
        assert parked["lastError"] == "no reply within 1s"

        await asyncio.to_thread(system.restart, "shipping-service")
        # The queued createShipment and cancelShipment commands are all past their deadline.
        retry = await api.http.post(f"/saga/{order_id}/retry")

        assert retry.status_code == 202
        assert (await api.finished(order_id))["status"] == "FAILED"
        assert await books.status("shipping-service", "shipments", order_id) == "VOIDED"
        assert "RESUMED" in [e["type"] for e in await api.history(order_id)]


async def test_a_failing_compensation_is_retried_then_parks_until_an_operator_retries(launch: Launch) -> None:
    async with (
        launch(service_env={"payment-service": {"FAULT_FAIL_COMMANDS": "cancelPayment"}}) as system,
        SagaApi(system.url()) as api,
    ):
        books = Books(system)
        order_id = random_ref("order")
        before = await books.stock(PRODUCT)
        await api.start(order(order_id, quantity=11, product=PRODUCT))  # fails at shipping

        retrying = await eventually(lambda: api.status(order_id), lambda s: s["lastError"] is not None)
        assert retrying["currentStep"] == "processPayment"
        assert retrying["lastError"] == "the service could not apply the command"
        parked = await api.finished_or_parked(order_id)
        assert parked["status"] == "COMPENSATION_FAILED"
        assert parked["attempt"] == 3
        assert await books.status("payment-service", "payments", order_id) == "CHARGED"

        await asyncio.to_thread(system.restart, "payment-service", env={"FAULT_FAIL_COMMANDS": ""})
        assert (await api.http.post(f"/saga/{order_id}/retry")).status_code == 202

        assert (await api.finished(order_id))["status"] == "FAILED"
        assert await books.status("payment-service", "payments", order_id) == "REFUNDED"
        assert await books.stock(PRODUCT) == before
        assert (await api.states(order_id))[-3:] == ["PAYMENT_CANCELLED", "ORDER_CANCELLED", "FAILED"]
