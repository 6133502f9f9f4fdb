"""Cancelling by hand: a running saga undoes what it did; a finished one cannot be cancelled."""

from collections.abc import Iterator

import pytest

from ops.system import System
from tests.harness import Books, SagaApi, order
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e


@pytest.fixture
def shipping_never_answers(system: System) -> Iterator[None]:
    """Holds sagas at STOCK_RESERVED: the shipping service drops createShipment unanswered."""
    system.restart("shipping-service", env={"FAULT_DROP_COMMANDS": "createShipment"})
    yield
    system.restart("shipping-service")


@pytest.mark.usefixtures("shipping_never_answers")
async def test_cancel_compensates_every_step_that_ran_and_ends_cancelled(api: SagaApi, books: Books) -> None:
    order_id = random_ref("order")
    before = await books.stock("item-001")
    await api.start(order(order_id, quantity=3))
    await eventually(lambda: api.status(order_id), lambda s: s["status"] == "STOCK_RESERVED")

    response = await api.http.post(f"/saga/{order_id}/cancel")

    assert response.status_code == 202
    assert (await api.finished(order_id))["status"] == "CANCELLED"
    assert (await api.states(order_id))[-6:] == [
        "STOCK_RESERVED",
        "SHIPMENT_CANCELLED",
        "STOCK_RELEASED",
        "PAYMENT_CANCELLED",
        "ORDER_CANCELLED",
        "CANCELLED",
    ]
    assert "CANCEL_REQUESTED" in [e["type"] for e in await api.history(order_id)]
    assert await books.stock("item-001") == before
    assert await books.status("payment-service", "payments", order_id) == "REFUNDED"
    assert await books.status("order-service", "orders", order_id) == "CANCELLED"
    assert (await api.http.post(f"/saga/{order_id}/cancel")).status_code == 200


@pytest.mark.usefixtures("shipping_never_answers")
async def test_a_wait_ends_with_the_current_state_while_the_saga_runs(api: SagaApi) -> None:
    order_id = random_ref("order")
    await api.start(order(order_id))
    await eventually(lambda: api.status(order_id), lambda s: s["status"] == "STOCK_RESERVED")

    response = await api.http.get(f"/saga/{order_id}/status", params={"wait": 0.3})

    assert response.json()["status"] == "STOCK_RESERVED"


@pytest.mark.parametrize("amount", [100, 50000], ids=["completed", "failed"])
async def test_a_finished_saga_cannot_be_cancelled(api: SagaApi, amount: int) -> None:
    order_id = random_ref("order")
    await api.start(order(order_id, amount=amount))
    final = (await api.finished(order_id))["status"]

    response = await api.http.post(f"/saga/{order_id}/cancel")

    assert response.status_code == 409
    assert final in response.json()["detail"]
    assert (await api.status(order_id))["status"] == final


async def test_retry_is_refused_unless_compensation_failed(api: SagaApi) -> None:
    order_id = random_ref("order")
    await api.start(order(order_id))
    await api.finished(order_id)

    response = await api.http.post(f"/saga/{order_id}/retry")

    assert response.status_code == 409
