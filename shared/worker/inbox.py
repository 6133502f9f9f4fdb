"""Exactly-once effects: the inbox row, the business change and the stored reply commit together."""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
import orjson
from opentelemetry.context import Context

from shared import logs, tracing
from shared.batching import Batcher
from shared.contracts import CommandMessage, Reply, command_message_id
from shared.database import RETRY_LATER
from shared.metrics import INBOX_DUPLICATES
from shared.schema import INBOX, names, typed
from shared.worker.handlers import BoundHandler, Outcome

log = logging.getLogger(__name__)

# What a command that raised answers: the details are for the log, not for the saga's history.
FAILED = Outcome(success=False, code="internal_error", error="the service could not apply the command")

# Every column of the inbox but the time it has a default for.
_RECORDED = names(INBOX, "received_at")
RECORD = f"""
INSERT INTO inbox ({", ".join(_RECORDED)})
SELECT {", ".join(f"r.{name}" for name in _RECORDED)}
FROM jsonb_to_recordset($1::jsonb) AS r({typed(INBOX, *_RECORDED)})
ON CONFLICT (message_id) DO NOTHING
"""


@dataclass(frozen=True)
class Work:
    command: CommandMessage
    handler: BoundHandler
    # The caller's trace, for the transaction that may run in another's task, with others' commands.
    trace: Context | None = field(default_factory=tracing.current)


class Inbox:
    """Applies commands once each, many to a transaction when they arrive together.

    The commands that arrive while one transaction commits run in the next, one after another
    on its connection, with one statement recording them all. If any of them was seen before
    or raised, the whole transaction rolls back and each runs again alone through `execute`,
    which sorts them out: so a batch changes how many commits there are, never an outcome.
    """

    def __init__(self, pool: asyncpg.Pool, service: str = "") -> None:
        self._pool = pool
        self._duplicate = INBOX_DUPLICATES.labels(service).inc
        self._batcher: Batcher[Work, Reply] = Batcher(self._execute_many, key=lambda w: w.command.message_id)

    async def execute(self, command: CommandMessage, handler: BoundHandler) -> Reply:
        """The command's reply; `Refused` if its message id is not its own (see `check_id`)."""
        check_id(command)
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
            with tracing.transaction([_traced(work)]):
                return await execute(self._pool, work.command, work.handler, self._duplicate)
        except RETRY_LATER as exc:
            return exc
        except Refused as exc:
            return exc

    async def _together(self, batch: list[Work]) -> list[Reply]:
        with tracing.transaction([_traced(work) for work in batch]):
            return await self._together_untraced(batch)

    async def _together_untraced(self, batch: list[Work]) -> list[Reply]:
        async with self._pool.acquire() as conn, conn.transaction():
            replies = [_reply(w.command, await w.handler(conn, w.command.saga_id)) for w in batch]
            if not await _record(conn, [w.command for w in batch], replies):
                raise _SeenBefore
            return replies


def _traced(work: Work) -> tuple[str, Context | None]:
    return f"transaction {work.command.command}", work.trace


class Refused(Exception):
    """A command the inbox will not take, with the reason: it is dead-lettered, nothing applied."""


def check_id(command: CommandMessage) -> None:
    """A message id is its (saga, step)'s, so that it cannot take the inbox slot, and so the reply,
    of another saga or step."""
    if command.message_id != command_message_id(command.saga_id, command.step_id):
        raise Refused(
            f"message id {command.message_id} is not that of saga {command.saga_id} step {command.step_id}"
        )


def content_digest(command: CommandMessage) -> str:
    """What a retry of the command repeats: its name and payload (not its deadline or correlation)."""
    canonical = orjson.dumps([command.command, command.payload], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


async def execute(
    pool: asyncpg.Pool,
    command: CommandMessage,
    handler: BoundHandler,
    on_duplicate: Callable[[], None] = lambda: None,
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
                reply = _reply(command, await handler(conn, command.saga_id))
                if not await _record(conn, [command], [reply]):
                    raise _SeenBefore
                return reply
        except _SeenBefore:
            sql = "SELECT reply, content FROM inbox WHERE message_id = $1"
            stored = await conn.fetchrow(sql, command.message_id)
            if stored["content"] not in (None, content_digest(command)):
                raise Refused(
                    f"message id {command.message_id} was taken before with other content"
                ) from None
            on_duplicate()
            return Reply.model_validate(stored["reply"])
        except RETRY_LATER:
            raise
        except Exception:
            where = logs.fields(command.saga_id, command.step_id)
            log.exception("saga=%s step=%s failed", command.saga_id, command.step_id, extra=where)
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
            "content": content_digest(command),
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
