"""The notification service's own rule, beyond what every participant guarantees: one notification
per saga, however often it is asked for."""

import asyncio
from uuid import UUID, uuid4

import pytest

from tests.integration.harness import Participant, ServiceDatabase, apply_directly, command
from tests.integration.services import NOTIFICATION, ServiceSpec
from tests.polling import random_ref

pytestmark = pytest.mark.integration


@pytest.fixture
def spec() -> ServiceSpec:
    return NOTIFICATION


async def test_a_notification_is_sent_for_the_sagas_shipment(participant: Participant) -> None:
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()

    sent = await participant.call(command("sendNotification", payload, saga_id=saga_id))

    assert sent["result"] == {"notificationId": sent["result"]["notificationId"], "status": "SENT"}
    [row] = (await participant.state(saga_id, payload))["rows"]
    assert row["notification_id"] == UUID(sent["result"]["notificationId"])
    assert (row["order_id"], row["shipment_id"], row["status"]) == (
        payload["orderId"],
        payload["shipmentId"],
        "SENT",
    )


async def test_a_repeated_command_answers_the_same_notification_and_sends_no_second(
    participant: Participant,
) -> None:
    payload = await participant.arrange(random_ref("o"))
    saga_id = uuid4()

    # A new step id makes a new message id: the table, not the inbox, must absorb it.
    first = await participant.call(command("sendNotification", payload, saga_id=saga_id))
    again = await participant.call(command("sendNotification", payload, saga_id=saga_id, step_id="again"))

    assert again["result"] == first["result"]
    assert len((await participant.state(saga_id, payload))["rows"]) == 1


async def test_concurrent_commands_for_one_saga_send_one_notification(db: ServiceDatabase) -> None:
    saga_id = uuid4()
    payload = {"orderId": "o", "shipmentId": "s"}

    outcomes = await asyncio.gather(
        *(apply_directly(db.pool, NOTIFICATION, "sendNotification", saga_id, payload) for _ in range(6))
    )

    assert len({outcome.result["notificationId"] for outcome in outcomes}) == 1
    assert await db.pool.fetchval("SELECT count(*) FROM notifications WHERE saga_id = $1", saga_id) == 1
