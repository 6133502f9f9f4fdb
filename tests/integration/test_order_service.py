"""The order service's own rules, beyond what every participant guarantees."""

from decimal import Decimal
from uuid import uuid4

import pytest

from tests.integration.harness import Participant, command
from tests.integration.services import ORDER, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return ORDER


async def test_an_order_is_created_and_then_cancelled(participant: Participant) -> None:
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()

    created = await participant.call(command("createOrder", payload, saga_id=saga_id))
    [row] = (await participant.state(saga_id, payload))["rows"]
    cancelled = await participant.call(command("cancelOrder", payload, saga_id=saga_id))

    assert created["result"] == {"orderId": payload["orderId"], "status": "CREATED"}
    assert (row["order_id"], row["product_id"], row["quantity"]) == (payload["orderId"], "item-001", 2)
    assert row["amount"] == Decimal("49.9")
    assert cancelled["result"] == {"orderId": payload["orderId"], "status": "CANCELLED"}


async def test_an_order_id_another_saga_owns_is_refused_and_left_alone(participant: Participant) -> None:
    payload = await participant.arrange(random_ref("o"))
    owner, intruder = uuid4(), uuid4()
    await participant.call(command("createOrder", payload, saga_id=owner))

    refused = await participant.call(command("createOrder", payload, saga_id=intruder))
    compensated = await participant.call(command("cancelOrder", payload, saga_id=intruder))

    assert (refused["success"], refused["error"]) == (False, f"order {payload['orderId']} already exists")
    assert compensated["success"] is True
    assert (await participant.state(intruder, payload))["rows"] == []
    [row] = (await participant.state(owner, payload))["rows"]
    assert row["status"] == "CREATED"
