"""Messages nobody can use go to the dead letters with a reason, where the orchestrator keeps them;
the consumers keep going."""

import json

import pytest

from ops.system import System
from shared.access import ORCHESTRATOR
from shared.topology import command_queue, reply_queue
from tests.dead_letters import stored_letters
from tests.harness import SagaApi, order
from tests.polling import random_ref
from tests.senders import correlation_id, publish_as

pytestmark = pytest.mark.e2e


UNKNOWN_SAGA = "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f003"


@pytest.mark.parametrize(
    ("queue", "body", "reason"),
    [
        ("order", b"not json {marker}", "Invalid JSON: "),
        ("payment", b'{{"wrong": "schema", "marker": "{marker}"}}', "validation errors for CommandMessage"),
        (
            "inventory",
            b'{{"messageId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f001",'
            b' "sagaId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f002", "stepId": "x", "command": "launchRocket",'
            b' "deadline": "2099-01-01T00:00:00Z", "payload": {{"m": "{marker}"}},'
            b' "correlationId": "{correlation}"}}',
            "unknown command 'launchRocket'",
        ),
        ("replies", b"not json either {marker}", "Invalid JSON: "),
        (
            "replies",
            b'{{"success": true, "sagaId": "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f003", "stepId": "createOrder",'
            b' "result": {{"m": "{marker}"}}, "error": null, "correlationId": "{correlation}"}}',
            f"unknown saga {UNKNOWN_SAGA}",
        ),
        (
            "replies",
            b'[{{"success": true}}, {{"m": "{marker}"}}]',
            "invalid reply: 4 validation errors for Reply",
        ),
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
    system: System, api: SagaApi, queue: str, body: bytes, reason: str
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

    [dead] = await stored_letters(system, marker, count=1)
    assert reason in dead["reason"]
    assert dead["source_queue"] == name
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

    [dead] = await stored_letters(system, marker, count=1)
    assert dead["reason"] == "reply names unknown command 'launchRocket'"
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

    dead = await stored_letters(system, marker, count=2)
    reasons = {json.loads(letter["payload"])["stepId"]: letter["reason"] for letter in dead}
    assert reasons == {
        "createOrder": "unknown saga 6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f004",
        "launchRocket": "reply names unknown command 'launchRocket'",
    }
    assert (await api.status(order_id))["status"] == "COMPLETED"
