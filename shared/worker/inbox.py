"""Exactly-once effects: the inbox row, the business change and the stored reply commit together."""

from typing import Any

import asyncpg

from shared.contracts import CommandMessage, Reply
from shared.database import RETRY_LATER
from shared.worker.handlers import Handler, Outcome


class InjectedFault(Exception):
    """Raised for a command a test configured to fail."""


async def execute(
    pool: asyncpg.Pool, command: CommandMessage, handler: Handler[Any], *, inject_fault: bool
) -> Reply:
    """Applies the command once; a command seen before gets the reply it got the first time.

    An exception other than a passing database fault rolls everything back and answers failure
    without being remembered, so that a retried command (a compensation, above all) runs again.
    A passing database fault (lost connection, deadlock) propagates: the caller requeues.
    """
    async with pool.acquire() as conn:
        try:
            async with conn.transaction():
                stored = await _claim(conn, command)
                if stored is not None:
                    return stored
                if inject_fault:
                    raise InjectedFault(f"injected failure of {command.command}")
                reply = _reply(command, await handler.run(conn, command.saga_id, command.payload))
                await conn.execute(
                    "UPDATE inbox SET reply = $2 WHERE message_id = $1",
                    command.message_id,
                    reply.model_dump(mode="json", by_alias=True),
                )
                return reply
        except RETRY_LATER:
            raise
        except Exception as exc:
            return _reply(command, Outcome(success=False, error=f"{type(exc).__name__}: {exc}"))


async def _claim(conn: asyncpg.Connection, command: CommandMessage) -> Reply | None:
    """Records the message id; if it was already there, returns the reply given then."""
    claimed = await conn.fetchval(
        "INSERT INTO inbox (message_id, saga_id, command) VALUES ($1, $2, $3)"
        " ON CONFLICT (message_id) DO NOTHING RETURNING true",
        command.message_id,
        command.saga_id,
        command.command,
    )
    if claimed:
        return None
    stored = await conn.fetchval("SELECT reply FROM inbox WHERE message_id = $1", command.message_id)
    return Reply.model_validate(stored)


def _reply(command: CommandMessage, outcome: Outcome) -> Reply:
    return Reply(
        success=outcome.success,
        saga_id=command.saga_id,
        step_id=command.step_id,
        result=outcome.result,
        error=outcome.error,
    )
