"""A message carries one command or reply in the seed's shape, or a list of those that were ready
together. Each item is taken on its own; the message is settled once, for all of them."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any, TypeGuard

from aio_pika.abc import AbstractIncomingMessage

from shared import json, tracing
from shared.broker import BROKER_UNAVAILABLE, Publisher, requeue
from shared.database import RETRY_LATER

log = logging.getLogger(__name__)

# Before a message whose items met a database outage is put back, so that it does not spin.
RETRY_DELAY_SECONDS = 1.0

# What became of one item: done (None), of no use (the reason), or to be tried again (what stopped it).
ItemOutcome = str | Exception | None


def message_body(items: list[Any]) -> bytes:
    """What a message carries: its one item, or the list of items sent together."""
    return json.dumps(items[0] if len(items) == 1 else items)


async def send_items(
    publisher: Publisher, queue: str, items: list[Any], ids: list[str], *, reply_to: str | None = None
) -> Exception | None:
    """Publishes the items as one message, its id the item's if it carries one; the reason the
    broker did not take it, or None. Traced, each item is sent in its own span."""
    message_id = ids[0] if len(ids) == 1 else None
    try:
        with tracing.publishing(publisher.prefix, queue, items, ids) as sent:
            await publisher.publish(
                queue,
                message_body(sent),
                message_id=message_id,
                reply_to=reply_to,
                headers=tracing.message_headers(sent),
            )
    except BROKER_UNAVAILABLE as exc:
        return exc
    return None


def items_in(body: bytes) -> list[Any]:
    """The items a message carries, unchecked; ValueError if it is not JSON, or an empty list."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise ValueError(f"Invalid JSON: {exc}") from exc
    if parsed == []:
        raise ValueError("an empty list: no command or reply in it")
    return parsed if isinstance(parsed, list) else [parsed]


async def take_items(
    message: AbstractIncomingMessage,
    take: Callable[[Any], Awaitable[ItemOutcome]],
    publisher: Publisher,
    prefix: str,
) -> None:
    """Takes every item the message carries, then settles the message: puts it back if any item
    must be tried again (those done are then taken again, which changes nothing); else
    dead-letters the items of no use (the message itself, if it carried only that one) and acks.

    Whatever raises unforeseen puts the message back as a failed delivery rather than leave it
    unacked, holding a prefetch slot for good: the queue's delivery limit then dead-letters a
    message that keeps failing."""
    try:
        await _settle(message, take, publisher, prefix)
    except Exception:
        log.exception(
            "message %s from %s put back after an unexpected error", message.message_id, message.routing_key
        )
        with suppress(*BROKER_UNAVAILABLE):
            # A reject, not a nack: from RabbitMQ 4.3 only a reject counts towards the limit.
            await message.reject(requeue=True)


async def _settle(
    message: AbstractIncomingMessage,
    take: Callable[[Any], Awaitable[ItemOutcome]],
    publisher: Publisher,
    prefix: str,
) -> None:
    try:
        items = items_in(message.body)
    except ValueError as exc:
        await publisher.dead_letter(message, str(exc), prefix)
        return
    # Every item runs to its end even if another raises; then the first unforeseen error is raised.
    outcomes = await asyncio.gather(*(take(item) for item in items), return_exceptions=True)
    if again := next((outcome for outcome in outcomes if isinstance(outcome, BaseException)), None):
        if unforeseen := next((outcome for outcome in outcomes if _unforeseen(outcome)), None):
            raise unforeseen
        if isinstance(again, RETRY_LATER):
            await asyncio.sleep(RETRY_DELAY_SECONDS)
        await requeue(message)
        return
    rejected = [(item, why) for item, why in zip(items, outcomes, strict=True) if isinstance(why, str)]
    if len(items) == 1 and rejected:
        await publisher.dead_letter(message, rejected[0][1], prefix)
        return
    for item, why in rejected:
        await publisher.dead_letter_part(message, json.dumps(item), why, prefix)
    await message.ack()


def _unforeseen(outcome: ItemOutcome | BaseException) -> TypeGuard[BaseException]:
    """Raised, not returned: what an item returns to be tried again is an outage of one of these."""
    return isinstance(outcome, BaseException) and not isinstance(outcome, (*RETRY_LATER, *BROKER_UNAVAILABLE))
