"""Poison messages for a running system, and the dead letters its orchestrator stored, found by a
marker in their payload."""

import aio_pika
import asyncpg

from ops.audit import fetch
from ops.system import ORCHESTRATOR, System
from shared.access import ORCHESTRATOR as ORCHESTRATOR_ROLE
from tests.harness import SagaApi
from tests.polling import eventually, random_ref
from tests.senders import publish_as


async def stored_letters(system: System, marker: str, count: int = 1) -> list[asyncpg.Record]:
    """The stored dead letters whose payload carries `marker`, once there are `count` of them;
    fails at the deadline, or if there are more."""

    async def stored() -> list[asyncpg.Record]:
        return await fetch(
            system.config,
            ORCHESTRATOR,
            "SELECT id, reason, source_queue, payload, headers FROM dead_letters"
            " WHERE position($1::bytea IN payload) > 0",
            marker.encode(),
        )

    found = await eventually(stored, lambda letters: len(letters) >= count)
    assert len(found) == count, [letter["payload"] for letter in found]
    return found


async def poison(system: System, queue: str, sender: str = ORCHESTRATOR_ROLE) -> str:
    """Publishes a message that is not JSON to `queue`; returns the marker its payload carries."""
    marker = random_ref("poison")
    await publish_as(system, sender, queue, f"not json {marker}".encode())
    return marker


async def reject_command(system: System, queue: str, saga_id: str) -> str:
    """Takes the saga's command off `queue` and rejects it, so the broker dead-letters it, as it
    does with a command that keeps failing; returns its message id."""
    async with await aio_pika.connect(system.config.amqp_url) as connection:
        channel = await connection.channel()
        waiting = await channel.get_queue(queue, ensure=False)
        message = await eventually(lambda: waiting.get(fail=False), lambda m: m is not None)
        assert message is not None and saga_id.encode() in message.body
        await message.reject(requeue=False)
        assert message.message_id is not None
        return message.message_id


async def letter_of(api: SagaApi, message_id: str) -> int | None:
    """The open dead letter of that message, if the orchestrator has stored it yet."""
    page = (await api.http.get("/dead-letters", params={"state": "OPEN", "limit": 1000})).json()
    for summary in page["deadLetters"]:
        letter = (await api.http.get(f"/dead-letters/{summary['id']}")).json()
        if letter["messageId"] == message_id:
            return int(letter["id"])
    return None
