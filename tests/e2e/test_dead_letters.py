"""Messages nobody can use go to the dead-letter queue with a reason; the consumers keep going."""

import json

import aio_pika
import pytest

from ops.system import System
from shared.topology import command_queue, dead_letter_queue, exchange_for, reply_queue
from tests.harness import SagaApi, order
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e


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


async def _publish_reply(channel: aio_pika.abc.AbstractChannel, system: System, body: bytes) -> None:
    name = reply_queue(system.config.queue_prefix)
    exchange = await channel.get_exchange(exchange_for(name, system.config.queue_prefix), ensure=False)
    await exchange.publish(aio_pika.Message(body), routing_key=name)


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
            b' "result": {{"m": "{marker}"}}, "error": null}}',
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
    connection = await aio_pika.connect(system.config.amqp_url)
    async with connection:
        channel = await connection.channel()
        exchange = await channel.get_exchange(exchange_for(name, prefix), ensure=False)
        await exchange.publish(
            aio_pika.Message(body.decode().format(marker=marker).encode()), routing_key=name
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
    connection = await aio_pika.connect(system.config.amqp_url)
    async with connection:
        await _publish_reply(await connection.channel(), system, json.dumps(reply).encode())

    dead = await eventually(lambda: _dead_letters(system, marker), lambda found: len(found) == 1)

    assert "unknown command 'launchRocket'" in _reason(dead[0])
    assert (await api.status(order_id))["status"] == "COMPLETED"


async def test_of_the_replies_one_message_carries_only_those_of_no_use_are_dead_lettered(
    system: System, api: SagaApi
) -> None:
    order_id, marker = random_ref("order"), random_ref("poison")
    saga_id = (await api.start(order(order_id))).json()["sagaId"]
    await api.finished(order_id)
    late = {"success": True, "sagaId": saga_id, "stepId": "createOrder", "result": {}, "error": None}
    unknown_saga = {**late, "sagaId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f004", "result": {"m": marker}}
    unknown_command = {**late, "stepId": "launchRocket", "result": {"m": marker}}
    connection = await aio_pika.connect(system.config.amqp_url)
    async with connection:
        body = json.dumps([late, unknown_saga, unknown_command]).encode()
        await _publish_reply(await connection.channel(), system, body)

    dead = await eventually(lambda: _dead_letters(system, marker), lambda found: len(found) == 2)

    reasons = sorted(_reason(message) for message in dead)
    assert "reply names unknown command 'launchRocket'" in reasons[0]
    assert "unknown saga 6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f004" in reasons[1]
    assert sorted(json.loads(message.body)["stepId"] for message in dead) == ["createOrder", "launchRocket"]
    assert (await api.status(order_id))["status"] == "COMPLETED"
