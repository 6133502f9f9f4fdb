"""The shipping service's own rules, beyond what every participant guarantees."""

from uuid import UUID, uuid4

import pytest

from tests.integration.harness import Participant, command
from tests.integration.services import SHIPPING, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return SHIPPING


async def test_a_shipment_over_ten_items_is_refused_and_nothing_is_stored(participant: Participant) -> None:
    payload = {**await participant.arrange(random_ref("o")), "quantity": 20}
    message = command("createShipment", payload)

    reply = await participant.call(message)

    assert (reply["success"], reply["error"]) == (False, "quantity 20 exceeds shipment size 10")
    assert (await participant.state(message.saga_id, payload))["rows"] == []


async def test_a_full_shipment_is_created_and_cancelled_under_one_id(participant: Participant) -> None:
    payload = {**await participant.arrange(random_ref("o")), "quantity": 10}
    saga_id = uuid4()

    created = await participant.call(command("createShipment", payload, saga_id=saga_id))
    cancelled = await participant.call(command("cancelShipment", payload, saga_id=saga_id))

    assert created["result"]["status"] == "CREATED"
    assert cancelled["result"] == {"shipmentId": created["result"]["shipmentId"], "status": "CANCELLED"}
    [row] = (await participant.state(saga_id, payload))["rows"]
    assert row["shipment_id"] == UUID(created["result"]["shipmentId"])
    assert (row["order_id"], row["quantity"]) == (payload["orderId"], 10)


async def test_a_shipment_keeps_the_payment_it_goes_out_against_where_one_is_carried(
    participant: Participant,
) -> None:
    payload = await participant.arrange(random_ref("o"))
    carried, bare = uuid4(), uuid4()

    await participant.call(command("createShipment", {**payload, "paymentId": "p-1"}, saga_id=carried))
    await participant.call(command("createShipment", payload, saga_id=bare))

    [with_payment] = (await participant.state(carried, payload))["rows"]
    [without] = (await participant.state(bare, payload))["rows"]
    assert (with_payment["payment_id"], without["payment_id"]) == ("p-1", None)
