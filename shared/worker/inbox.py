"""Exactly-once effects: the inbox row, the business change and the stored reply commit together."""

import logging
from dataclasses import dataclass

import asyncpg

from shared.batching import Batcher
from shared.contracts import CommandMessage, Reply
from shared.database import RETRY_LATER
from shared.worker.handlers import BoundHandler, Outcome

log = logging.getLogger(__name__)

# What a command that raised answers: the details are for the log, not for the saga's history.
FAILED = Outcome(success=False, code="internal_error", error="the service could not apply the command")

RECORD = """
INSERT INTO inbox (message_id, saga_id, command, reply)
SELECT r.message_id, r.saga_id, r.command, r.reply
FROM jsonb_to_recordset($1::jsonb) AS r(message_id uuid, saga_id uuid, command text, reply jsonb)
ON CONFLICT (message_id) DO NOTHING
"""


@dataclass(frozen=True)
class Work:
    command: CommandMessage
    handler: BoundHandler


class Inbox:
    """Applies commands once each, many to a transaction when they arrive together.

    The commands that arrive while one transaction commits run in the next, one after another
    on its connection, with one statement recording them all. If any of them was seen before
    or raised, the whole transaction rolls back and each runs again alone through `execute`,
    which sorts them out: so a batch changes how many commits there are, never an outcome.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._batcher: Batcher[Work, Reply] = Batcher(self._execute_many, key=lambda w: w.command.message_id)

    async def execute(self, command: CommandMessage, handler: BoundHandler, *, inject_fault: bool) -> Reply:
        if inject_fault:
            return await execute(self._pool, command, handler, inject_fault=True)
        return await self._batcher.submit(Work(command, handler))

    async def _execute_many(self, batch: list[Work]) -> list[Reply | Exception]:
        if len(batch) == 1:
            return [await self._alone(batch[0])]
        try:
            return list(await self._together(batch))
        except RETRY_LATER:
            raise
        except Exception:  # seen before, or a handler raised: alone, each finds out which
            return [await self._alone(work) for work in batch]

    async def _alone(self, work: Work) -> Reply | Exception:
        try:
            return await execute(self._pool, work.command, work.handler, inject_fault=False)
        except RETRY_LATER as exc:
            return exc

    async def _together(self, batch: list[Work]) -> list[Reply]:
        async with self._pool.acquire() as conn, conn.transaction():
            replies = [_reply(w.command, await w.handler(conn, w.command.saga_id)) for w in batch]
            if not await _record(conn, [w.command for w in batch], replies):
                raise _SeenBefore
            return replies


class InjectedFault(Exception):
    """Raised for a command a test configured to fail."""


async def execute(
    pool: asyncpg.Pool, command: CommandMessage, handler: BoundHandler, *, inject_fault: bool
) -> Reply:
    """Applies the command once; a command seen before gets the reply it got the first time.

    The handler runs first and the inbox row goes in last, in the same transaction: a command
    seen before finds its message id taken, and everything it did is rolled back. (Most
    commands are new, so this costs one statement less than claiming the id up front.)

    An exception other than a passing database fault rolls everything back and answers failure
    without being remembered, so that a retried command (a compensation, above all) runs again.
    A passing database fault (lost connection, deadlock) propagates: the caller requeues.
    """
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                if inject_fault:
                    raise InjectedFault(f"injected failure of {command.command}")
                reply = _reply(command, await handler(conn, command.saga_id))
                if not await _record(conn, [command], [reply]):
                    raise _SeenBefore
                return reply
        except _SeenBefore:
            stored = await conn.fetchval("SELECT reply FROM inbox WHERE message_id = $1", command.message_id)
            return Reply.model_validate(stored)
        except RETRY_LATER:
            raise
        except Exception:
            log.exception("saga=%s step=%s failed", command.saga_id, command.step_id)
            return _reply(command, FAILED)


class _SeenBefore(Exception):
    """Rolls back a command whose message id the inbox already holds."""


async def _record(conn: asyncpg.Connection, commands: list[CommandMessage], replies: list[Reply]) -> bool:
    """Stores each reply under its command's message id; False if any id was there already."""
    rows = [
        {
            "message_id": command.message_id,
            "saga_id": command.saga_id,
            "command": command.command,
            "reply": reply.model_dump(mode="json", by_alias=True),
        }
        for command, reply in zip(commands, replies, strict=True)
    ]
    status: str = await conn.execute(RECORD, rows)
    return status == f"INSERT 0 {len(rows)}"


def _reply(command: CommandMessage, outcome: Outcome) -> Reply:
    return Reply(
        success=outcome.success,
        saga_id=command.saga_id,
        step_id=command.step_id,
        result=outcome.result,
        error=outcome.error,
        code=outcome.code,
    )
