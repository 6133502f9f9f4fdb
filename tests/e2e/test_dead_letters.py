"""Messages nobody can use go to the dead-letter queue with a reason; the consumers keep going."""

import json

import aio_pika
import pytest

from ops.system import System
from shared.access import ORCHESTRATOR
from shared.topology import command_queue, dead_letter_queue, reply_queue
from tests.harness import SagaApi, order
from tests.polling import eventually, random_ref
from tests.senders import correlation_id, publish_as

pytestmark = pytest.mark.e2e

UNKNOWN_SAGA = "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f003"


async def _dead_letters(system: System, marker: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Drains the dead-letter queue and returns the messages whose body carries `marker`."""
    found = []
    connection = await aio_pika.connect(system.config.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(dead_letter_queue(system.config.queue_prefix), ensure=False)
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            if marker.encode() in message.body:
                found.append(message)
    return found


def _reason(message: aio_pika.abc.AbstractIncomingMessage) -> str:
    return str(message.headers["x-reason"])


@pytest.mark.parametrize(
    ("queue", "body"),
    [
        ("order", b"not json {marker}"),
        ("payment", b'{{"wrong": "schema", "marker": "{marker}"}}'),
        (
            "inventory",
            b'{{"messageId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f001",'
            b' "sagaId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f002", "stepId": "x", "command": "launchRocket",'
            b' "deadline": "2099-01-01T00:00:00Z", "payload": {{"m": "{marker}"}}}}',
        ),
        ("replies", b"not json either {marker}"),
        (
            "replies",
            b'{{"success": true, "sagaId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f003", "stepId": "createOrder",'
            b' "result": {{"m": "{marker}"}}, "error": null, "correlationId": "{correlation}"}}',
        ),
        ("replies", b'[{{"success": true}}, {{"m": "{marker}"}}]'),
    ],
    ids=[
        "not-json",
        "wrong-schema",
        "unknown-command",
        "reply-not-json",
        "reply-unknown-saga",
        "replies-wrong-schema",
    ],
)
async def test_a_poison_message_is_dead_lettered_and_the_consumer_keeps_going(
    system: System, api: SagaApi, queue: str, body: bytes
) -> None:
    marker = random_ref("poison")
    prefix = system.config.queue_prefix
    name = reply_queue(prefix) if queue == "replies" else command_queue(queue, prefix)
    # Sent by whom the consumer takes messages from, so that only the body is wrong.
    sender = "order" if queue == "replies" else ORCHESTRATOR
    correlation = correlation_id(system, UNKNOWN_SAGA, "createOrder")
    await publish_as(
        system, sender, name, body.decode().format(marker=marker, correlation=correlation).encode()
    )

    dead = await eventually(lambda: _dead_letters(system, marker), lambda found: len(found) == 1)

    assert _reason(dead[0])
    assert dead[0].headers["x-original-queue"] == name
    order_id = random_ref("order")
    await api.start(order(order_id))
    assert (await api.finished(order_id))["status"] == "COMPLETED"


async def test_a_reply_naming_an_unknown_command_is_dead_lettered(system: System, api: SagaApi) -> None:
    order_id, marker = random_ref("order"), random_ref("poison")
    saga_id = (await api.start(order(order_id))).json()["sagaId"]
    await api.finished(order_id)
    reply = {
        "success": True,
        "sagaId": saga_id,
        "stepId": "launchRocket",
        "result": {"m": marker},
        "error": None,
    }
    await publish_as(system, "order", reply_queue(system.config.queue_prefix), json.dumps(reply).encode())

    dead = await eventually(lambda: _dead_letters(system, marker), lambda found: len(found) == 1)

    assert "unknown command 'launchRocket'" in _reason(dead[0])
    assert (await api.status(order_id))["status"] == "COMPLETED"


async def test_of_the_replies_one_message_carries_only_those_of_no_use_are_dead_lettered(
    system: System, api: SagaApi
) -> None:
    order_id, marker = random_ref("order"), random_ref("poison")
    saga_id = (await api.start(order(order_id))).json()["sagaId"]
    await api.finished(order_id)
    late = {
        "success": True,
        "sagaId": saga_id,
        "stepId": "createOrder",
        "result": {},
        "error": None,
        "correlationId": correlation_id(system, saga_id, "createOrder"),
    }
    unknown = "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f004"
    unknown_saga = {
        **late,
        "sagaId": unknown,
        "result": {"m": marker},
        "correlationId": correlation_id(system, unknown, "createOrder"),
    }
    unknown_command = {**late, "stepId": "launchRocket", "result": {"m": marker}}
    body = json.dumps([late, unknown_saga, unknown_command]).encode()
    await publish_as(system, "order", reply_queue(system.config.queue_prefix), body)

    dead = await eventually(lambda: _dead_letters(system, marker), lambda found: len(found) == 2)

    reasons = sorted(_reason(message) for message in dead)
    assert "reply names unknown command 'launchRocket'" in reasons[0]
    assert "unknown saga 6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f004" in reasons[1]
    assert sorted(json.loads(message.body)["stepId"] for message in dead) == ["createOrder", "launchRocket"]
    assert (await api.status(order_id))["status"] == "COMPLETED"
