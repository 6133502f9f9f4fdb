"""The dead letters' consumer, which stores each message nobody could use, and what an operator
does with a stored one: send it back to its queue, or discard it."""

import hashlib
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import asyncpg
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from saga_orchestrator.persistence import dead_letters
from saga_orchestrator.persistence.dead_letters import Letter, State
from shared import json, topology
from shared.broker import BROKER_UNAVAILABLE, UNROUTABLE, Publisher, requeue
from shared.database import RETRY_LATER
from shared.settings import ProcessSettings

log = logging.getLogger(__name__)

# Set by a quorum queue on each redelivery: not part of the message, so not of its key.
REDELIVERY_HEADERS = {"x-delivery-count"}


class NoSuchLetter(LookupError):
    pass


class Refused(Exception):
    """The letter's state, or its kind, does not allow the action; the message says why."""


def letter_of(message: AbstractIncomingMessage) -> Letter:
    """The stored form of a dead-lettered message: ours carry `x-reason` and `x-original-queue`;
    one the broker gave up on carries its `x-first-death-*` headers."""
    headers = _plain(dict(message.headers or {}))
    kept = {name: value for name, value in headers.items() if name not in REDELIVERY_HEADERS}
    digest = hashlib.sha256(json.dumps([message.message_id, kept]) + message.body).hexdigest()
    reason = headers.get("x-reason") or headers.get("x-first-death-reason") or "unknown"
    source = headers.get("x-original-queue") or headers.get("x-first-death-queue") or ""
    message_id = None if message.message_id is None else _text(message.message_id)
    return Letter(digest, str(reason), str(source), message_id, kept, message.body)


def _plain(value: Any) -> Any:
    """Header values as JSON has them (the broker's own carry bytes, timestamps and tables), and as
    Postgres can store them: text with no NUL, which a reason may quote from a poison message."""
    if isinstance(value, Mapping):
        return {_text(k): _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        return _text(value.decode(errors="replace"))
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, int | float | bool):
        return value
    return _text(str(value))


def _text(value: object) -> str:
    return str(value).replace("\x00", "\ufffd")


class DeadLetters:
    def __init__(
        self, pool: asyncpg.Pool, publisher: Publisher, prefix: str, services: Iterable[str]
    ) -> None:
        self._pool = pool
        self._publisher = publisher
        self._prefix = prefix
        # Only commands go back: a reply must come from its service, which the orchestrator is not.
        self._redrivable = {topology.command_queue(service, prefix) for service in services}

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Stores the message, then acks it: a message is taken off the queue only once it is kept."""
        letter = letter_of(message)
        try:
            await dead_letters.store(self._pool, letter)
        except RETRY_LATER as exc:
            log.warning("dead letter from %s not stored, requeued: %r", letter.source_queue, exc)
            await requeue(message)
            return
        await message.ack()

    async def redrive(self, letter_id: int, actor: str) -> asyncpg.Record:
        """Publishes the letter back to its queue, as it first came, and records who did it; returns
        the letter as the redrive left it (it may be back already, if it fails again at once)."""
        async with dead_letters.locked(self._pool, letter_id) as (conn, row):
            _check_open(letter_id, row)
            if row["source_queue"] not in self._redrivable:
                raise Refused(
                    f"dead letter {letter_id} came from {row['source_queue']!r}, not a command queue:"
                    " only commands can be sent again"
                )
            await self._publisher.publish(row["source_queue"], row["payload"], message_id=row["message_id"])
            redriven = await dead_letters.resolve(conn, letter_id, State.REDRIVEN, actor)
        log.info("dead letter %d redriven to %s by %s", letter_id, row["source_queue"], actor)
        return redriven

    async def discard(self, letter_id: int, actor: str) -> asyncpg.Record:
        async with dead_letters.locked(self._pool, letter_id) as (conn, row):
            _check_open(letter_id, row)
            discarded = await dead_letters.resolve(conn, letter_id, State.DISCARDED, actor)
        log.info("dead letter %d discarded by %s", letter_id, actor)
        return discarded


def _check_open(letter_id: int, row: asyncpg.Record | None) -> None:
    if row is None:
        raise NoSuchLetter(f"no dead letter {letter_id}")
    if row["state"] != State.OPEN:
        raise Refused(f"dead letter {letter_id} is {row['state']}")


# A redrive that did not reach its queue: the letter stays open, to be tried again.
NOT_SENT: tuple[type[Exception], ...] = (*BROKER_UNAVAILABLE, UNROUTABLE)


async def consume_dead_letters(
    connection: AbstractConnection, consumer: DeadLetters, settings: ProcessSettings
) -> None:
    """Takes the dead letters; with several replicas, the queue gives each message to one of them."""
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=settings.prefetch)
    queue = await channel.get_queue(topology.dead_letter_queue(settings.queue_prefix), ensure=True)
    await queue.consume(consumer.on_message)
