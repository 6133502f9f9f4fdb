"""The reply consumer: every service's answer moves its saga on, once."""

import asyncio
import logging

from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from saga_orchestrator.engine.machine import ReplyArrived
from saga_orchestrator.runtime.runner import SagaRunner, UnknownSaga
from saga_orchestrator.settings import Settings
from shared import json, topology
from shared.broker import Publisher, requeue
from shared.contracts import Reply, replies_in
from shared.database import RETRY_LATER

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 1.0


class ReplyConsumer:
    def __init__(self, runner: SagaRunner, publisher: Publisher, queue_prefix: str) -> None:
        self._runner = runner
        self._publisher = publisher
        self._prefix = queue_prefix

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Takes every reply the message carries; acks it once each is applied or dead-lettered."""
        try:
            replies = replies_in(message.body)
        except ValueError as exc:
            await self._publisher.dead_letter(message, f"invalid reply: {exc}", self._prefix)
            return
        outcomes = await asyncio.gather(*(self._take(reply) for reply in replies), return_exceptions=True)
        if retry := next((o for o in outcomes if isinstance(o, RETRY_LATER)), None):
            # Those already applied are ignored when the message comes back.
            log.warning("reply message requeued: %r", retry)
            await asyncio.sleep(RETRY_DELAY_SECONDS)
            await requeue(message)
            return
        reasons = [_reason_or_raise(outcome) for outcome in outcomes]
        rejected = [(reply, reason) for reply, reason in zip(replies, reasons, strict=True) if reason]
        if len(replies) == 1 and rejected:
            await self._publisher.dead_letter(message, rejected[0][1], self._prefix)
            return
        for reply, reason in rejected:
            body = json.dumps(reply.model_dump(mode="json", by_alias=True))
            await self._publisher.dead_letter_part(message, body, reason, self._prefix)
        await message.ack()

    async def _take(self, reply: Reply) -> str | None:
        """Moves the reply's saga on; the reason the reply is of no use, or None."""
        arrived = ReplyArrived(reply.step_id, reply.success, reply.result, reply.error)
        try:
            applied = await self._runner.apply(
                reply.saga_id, lambda engine, saga, now: engine.on_reply(saga, arrived, now)
            )
        except UnknownSaga as exc:
            return str(exc)
        if not applied.changed:
            if reply.step_id not in self._runner.engine(applied.saga.workflow).workflow.commands:
                return f"reply names unknown command {reply.step_id!r}"
            log.info(
                "saga=%s step=%s ignored: a reply for a step already past (state %s)",
                reply.saga_id,
                reply.step_id,
                applied.saga.status,
            )
        return None


def _reason_or_raise(outcome: str | BaseException | None) -> str | None:
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


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
    shared = await topology.declare_queue(channel, topology.reply_queue(prefix), prefix)
    for queue in (own, shared):
        await queue.consume(consumer.on_message)
