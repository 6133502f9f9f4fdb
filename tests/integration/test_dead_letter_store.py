"""The dead letters' store against real Postgres: a redelivery is stored once; the same message
dead-lettered again after a redrive opens its letter again, and the record of the redrive stays."""

from collections.abc import AsyncIterator
from uuid import uuid4

import asyncpg
import pytest

from saga_orchestrator.persistence import dead_letters
from saga_orchestrator.persistence.dead_letters import Letter, State
from tests.infrastructure import Infrastructure
from tests.integration.orchestrator_database import orchestrator_database

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    """The orchestrator's database, reached as its runtime role, as the orchestrator does."""
    async with orchestrator_database(infra.postgres_url, f"{run_id}_dead_letters", 2) as opened:
        yield opened


def _letter() -> Letter:
    return Letter(
        key=uuid4().hex,
        reason="Invalid JSON",
        source_queue="order.commands",
        message_id=None,
        headers={"x-reason": "Invalid JSON"},
        payload=b"\xffnot json",
    )


async def _states(pool: asyncpg.Pool, letter: Letter) -> list[tuple[int, str]]:
    rows = await pool.fetch("SELECT id, state FROM dead_letters WHERE letter_key = $1", letter.key)
    return [(row["id"], row["state"]) for row in rows]


async def test_a_redelivered_dead_letter_is_stored_once(pool: asyncpg.Pool) -> None:
    letter = _letter()
    await dead_letters.store(pool, letter)
    await dead_letters.store(pool, letter)

    [(letter_id, state)] = await _states(pool, letter)
    assert state == State.OPEN
    row = await dead_letters.one(pool, letter_id)
    assert row is not None and row["payload"] == letter.payload


@pytest.mark.parametrize(
    ("action", "after"), [(State.REDRIVEN, State.OPEN), (State.DISCARDED, State.DISCARDED)]
)
async def test_only_a_redriven_letter_opens_again_when_it_comes_back(
    pool: asyncpg.Pool, action: State, after: State
) -> None:
    letter = _letter()
    await dead_letters.store(pool, letter)
    [(letter_id, _)] = await _states(pool, letter)
    async with dead_letters.locked(pool, letter_id) as (conn, _row):
        await dead_letters.resolve(conn, letter_id, action, "ops")

    await dead_letters.store(pool, letter)

    assert await _states(pool, letter) == [(letter_id, after)]
    [record] = await dead_letters.actions(pool, letter_id)
    assert (record["action"], record["actor"]) == (action, "ops")
