"""Poison messages for a running system, and the dead letters its orchestrator stored, found by a
marker in their payload."""

import asyncpg

from ops.audit import fetch
from ops.system import ORCHESTRATOR, System
from shared.access import ORCHESTRATOR as ORCHESTRATOR_ROLE
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
