"""Exactly-once effects: the inbox row, the business change and the stored reply commit together."""

import asyncpg

from shared.contracts import CommandMessage, Reply
from shared.database import RETRY_LATER
from shared.worker.handlers import BoundHandler, Outcome


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
                if not await _record(conn, command, reply):
                    raise _SeenBefore
                return reply
        except _SeenBefore:
            stored = await conn.fetchval("SELECT reply FROM inbox WHERE message_id = $1", command.message_id)
            return Reply.model_validate(stored)
        except RETRY_LATER:
            raise
        except Exception as exc:
            return _reply(command, Outcome(success=False, error=f"{type(exc).__name__}: {exc}"))


class _SeenBefore(Exception):
    """Rolls back a command whose message id the inbox already holds."""


async def _record(conn: asyncpg.Connection, command: CommandMessage, reply: Reply) -> bool:
    """Stores the reply under the message id; False if the id was there already."""
    recorded: bool | None = await conn.fetchval(
        "INSERT INTO inbox (message_id, saga_id, command, reply) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (message_id) DO NOTHING RETURNING true",
        command.message_id,
        command.saga_id,
        command.command,
        reply.model_dump(mode="json", by_alias=True),
    )
    return bool(recorded)


def _reply(command: CommandMessage, outcome: Outcome) -> Reply:
    return Reply(
        success=outcome.success,
        saga_id=command.saga_id,
        step_id=command.step_id,
        result=outcome.result,
        error=outcome.error,
    )
