"""A worker's path for a command message: each command it carries checked, applied through the inbox
and answered; the message acked once they all are."""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from shared import access, logs, metrics, tracing
from shared.batching import Batcher, send_grouped
from shared.broker import UNROUTABLE, Publisher
from shared.contracts import CommandMessage
from shared.database import RETRY_LATER
from shared.messages import ItemOutcome, send_items, take_items
from shared.settings import ProcessSettings
from shared.topology import is_reply_queue, reply_queue
from shared.worker.handlers import BoundHandler, Handler
from shared.worker.inbox import Inbox, Refused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Answer:
    reply_queue: str
    command_id: str
    reply: dict[str, Any]  # as sent: stamped with the context of the command's processing


class CommandConsumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: Publisher,
        handlers: Mapping[str, Handler[Any]],
        settings: ProcessSettings,
        service: str = "",
    ) -> None:
        self._inbox = Inbox(pool, service)
        self._counts = metrics.CommandCounts(service)
        self._publisher = publisher
        self._handlers = handlers
        self._settings = settings
        self._replies = reply_queue(settings.queue_prefix)
        self._orchestrator = access.user(access.ORCHESTRATOR, access.vhost_of(settings.amqp_url))
        # Replies that are ready together go out together, one message per reply queue.
        self._outgoing: Batcher[_Answer, Exception | None] = Batcher(self._send_together)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        """Runs every command the message carries, and acks it once each is answered, refused or
        dead-lettered. Only the orchestrator gives commands: from anyone else, the message is
        dead-lettered unread. (The broker vouches for `user_id`: it refuses one not the connection's.)"""
        if message.user_id != self._orchestrator:
            reason = f"command sent by {message.user_id!r}, not by the orchestrator {self._orchestrator!r}"
            await self._publisher.dead_letter(message, reason, self._settings.queue_prefix)
            return
        await take_items(
            message, lambda item: self._run(message, item), self._publisher, self._settings.queue_prefix
        )

    async def _run(self, message: AbstractIncomingMessage, item: Any) -> ItemOutcome:
        try:
            command = CommandMessage.model_validate(item)
            handler = self._handlers[command.command]
            payload = handler.payload.model_validate(command.payload)
        except (ValidationError, KeyError) as exc:
            self._counts.invalid()
            return f"unknown command {exc}" if isinstance(exc, KeyError) else str(exc)
        started = time.perf_counter()
        with tracing.processing(message, command.traceparent, command.message_id):
            outcome, counted_as = await self._handle(message, command, handler.bind(payload))
        self._counts.count(command.command, counted_as, time.perf_counter() - started)
        return outcome

    async def _handle(
        self, message: AbstractIncomingMessage, command: CommandMessage, handler: BoundHandler
    ) -> tuple[ItemOutcome, str]:
        """What became of the command, and how it is counted. Its log lines' fields are built only
        for a line that is written: at WARNING, the answered commands write none."""
        if self._refuses(command):
            return None, metrics.EXPIRED
        try:
            reply = await self._inbox.execute(command, handler)
        except RETRY_LATER as exc:
            where = logs.fields(command.saga_id, command.step_id)
            log.warning("saga=%s step=%s requeued: %r", command.saga_id, command.step_id, exc, extra=where)
            return exc, metrics.REQUEUED
        except Refused as exc:
            return str(exc), metrics.REJECTED
        if log.isEnabledFor(logging.INFO):
            log.info(
                "saga=%s step=%s success=%s error=%s",
                reply.saga_id,
                reply.step_id,
                reply.success,
                reply.error,
                extra=logs.fields(command.saga_id, command.step_id),
            )
        # The reply answers this command, whichever attempt the inbox first answered.
        reply = reply.model_copy(update={"correlation_id": command.correlation_id})
        body = tracing.stamp(reply.model_dump(mode="json", by_alias=True))
        answer = _Answer(self._reply_queue(message), str(command.message_id), body)
        not_sent = await self._outgoing.submit(answer)
        if not_sent is not None:
            # The command comes back, and the inbox answers it with the same reply.
            log.warning(
                "saga=%s step=%s reply not sent (%r), requeued",
                reply.saga_id,
                reply.step_id,
                not_sent,
                extra=logs.fields(command.saga_id, command.step_id),
            )
            return not_sent, metrics.REQUEUED
        return None, metrics.SUCCESS if reply.success else metrics.FAILURE

    def _refuses(self, command: CommandMessage) -> bool:
        """A command past its deadline is refused unseen: the orchestrator has given up on it."""
        if command.deadline < datetime.now(UTC):
            log.warning(
                "saga=%s step=%s refused: deadline %s passed",
                command.saga_id,
                command.step_id,
                command.deadline.isoformat(),
                extra=logs.fields(command.saga_id, command.step_id),
            )
            return True
        return False

    def _reply_queue(self, message: AbstractIncomingMessage) -> str:
        """The replica's that sent the command, if it named its reply queue; else the shared one,
        which every replica consumes."""
        reply_to = message.reply_to
        if reply_to and is_reply_queue(reply_to, self._settings.queue_prefix):
            return reply_to
        return self._replies

    async def _send_together(self, answers: list[_Answer]) -> list[Exception | None]:
        return await send_grouped(answers, lambda answer: answer.reply_queue, self._send)

    async def _send(self, queue: str, answers: list[_Answer]) -> Exception | None:
        replies = [answer.reply for answer in answers]
        ids = [answer.command_id for answer in answers]
        not_sent = await send_items(self._publisher, queue, replies, ids)
        if isinstance(not_sent, UNROUTABLE) and queue != self._replies:
            log.info("reply queue %s is gone; replying to %s", queue, self._replies)
            not_sent = await send_items(self._publisher, self._replies, replies, ids)
        return not_sent
