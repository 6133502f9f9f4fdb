"""The reply consumer: every service's answer moves its saga on, once."""

import logging
from collections.abc import Mapping
from typing import Any

from aio_pika.abc import AbstractConnection, AbstractIncomingMessage
from pydantic import ValidationError

from saga_orchestrator.engine.machine import ReplyArrived
from saga_orchestrator.runtime.correlation import Correlation
from saga_orchestrator.runtime.runner import SagaRunner, UnknownSaga
from saga_orchestrator.settings import Settings
from shared import logs, topology, tracing
from shared.broker import Publisher
from shared.contracts import Reply
from shared.database import RETRY_LATER
from shared.messages import ItemOutcome, take_items

log = logging.getLogger(__name__)


class ReplyConsumer:
    def __init__(
        self,
        runner: SagaRunner,
        publisher: Publisher,
        queue_prefix: str,
        correlation: Correlation,
        senders: Mapping[str, str],
    ) -> None:
        self._runner = runner
        self._publisher = publisher
        self._prefix = queue_prefix
        self._correlation = correlation
        self._senders = senders  # command -> the broker user of the service it goes to

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Takes every reply the message carries, and acks it once each is applied or dead-lettered."""
        await take_items(message, lambda item: self._take(message, item), self._publisher, self._prefix)

    async def _take(self, message: AbstractIncomingMessage, item: Any) -> ItemOutcome:
        """Moves the reply's saga on, if it answers a command sent to the service that sent it."""
        try:
            reply = Reply.model_validate(item)
        except ValidationError as exc:
            return f"invalid reply: {exc}"
        if refusal := self._refusal(message.user_id, reply):
            return refusal
        with tracing.processing(message, reply.traceparent, message.message_id):
            return await self._apply(reply)

    async def _apply(self, reply: Reply) -> ItemOutcome:
        arrived = ReplyArrived(reply.step_id, reply.success, reply.result, reply.error)
        try:
            applied = await self._runner.apply(
                reply.saga_id, lambda engine, saga, now: engine.on_reply(saga, arrived, now)
            )
        except UnknownSaga as exc:
            return str(exc)
        except RETRY_LATER as exc:
            where = logs.fields(reply.saga_id, reply.step_id)
            log.warning("saga=%s reply requeued: %r", reply.saga_id, exc, extra=where)
            return exc
        if not applied.changed:
            log.info(
                "saga=%s step=%s ignored: a reply for a step already past (state %s)",
                reply.saga_id,
                reply.step_id,
                applied.saga.status,
                extra=logs.fields(reply.saga_id, reply.step_id),
            )
        return None

    def _refusal(self, sender: str | None, reply: Reply) -> str | None:
        """Why the reply cannot be from the step's service answering a command that was sent; None
        if it can. (The broker vouches for the sender: it refuses a `user_id` not the connection's.)"""
        expected = self._senders.get(reply.step_id)
        if expected is None:
            return f"reply names unknown command {reply.step_id!r}"
        if sender != expected:
            return f"reply for {reply.step_id} sent by {sender!r}, not by {expected!r}"
        if not self._correlation.verifies(reply.saga_id, reply.step_id, reply.correlation_id):
            return (
                f"reply for {reply.step_id} carries a correlation id no command of saga {reply.saga_id} had"
            )
        return None


async def consume_replies(
    connection: AbstractConnection, consumer: ReplyConsumer, settings: Settings
) -> None:
    """Takes replies from this replica's own queue, and from the shared one that replies move on
    to when their replica does not take them in time."""
    prefix = settings.queue_prefix
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=settings.prefetch)
    own = await topology.declare_replica_reply_queue(
        channel, settings.replica, prefix, settings.reply_handover_seconds
    )
    shared = await channel.get_queue(topology.reply_queue(prefix), ensure=True)  # declared by the setup
    for queue in (own, shared):
        await queue.consume(consumer.on_message)
