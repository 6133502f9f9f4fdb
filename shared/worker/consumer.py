"""The per-message path of a worker: decode, check, apply through the inbox, reply, ack."""

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from shared import json
from shared.batching import Batcher
from shared.broker import BROKER_UNAVAILABLE, UNROUTABLE, Publisher, requeue
from shared.contracts import CommandMessage, Reply
from shared.database import RETRY_LATER
from shared.settings import ProcessSettings
from shared.topology import is_reply_queue, reply_queue
from shared.worker.handlers import Handler
from shared.worker.inbox import Inbox

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 1.0


@dataclass(frozen=True)
class _Answer:
    command: AbstractIncomingMessage
    reply: Reply


class CommandConsumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        publisher: Publisher,
        handlers: Mapping[str, Handler[Any]],
        settings: ProcessSettings,
    ) -> None:
        self._inbox = Inbox(pool)
        self._publisher = publisher
        self._handlers = handlers
        self._settings = settings
        self._replies = reply_queue(settings.queue_prefix)
        # Replies that are ready together go out together, one message per reply queue.
        self._outgoing: Batcher[_Answer, Exception | None] = Batcher(self._send_together)

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            command = CommandMessage.model_validate_json(message.body)
            handler = self._handlers[command.command]
            payload = handler.payload.model_validate(command.payload)
        except (ValidationError, KeyError) as exc:
            reason = f"unknown command {exc}" if isinstance(exc, KeyError) else str(exc)
            await self._publisher.dead_letter(message, reason, self._settings.queue_prefix)
            return
        if self._refuses(command):
            await message.ack()
            return
        try:
            reply = await self._inbox.execute(
                command, handler.bind(payload), inject_fault=self._settings.faults.fails(command.command)
            )
        except RETRY_LATER as exc:
            log.warning("saga=%s step=%s requeued: %r", command.saga_id, command.step_id, exc)
            await asyncio.sleep(RETRY_DELAY_SECONDS)
            await requeue(message)
            return
        await self._answer(message, reply)

    def _refuses(self, command: CommandMessage) -> bool:
        """A command past its deadline is refused unseen: the orchestrator has given up on it."""
        if self._settings.faults.drops(command.command):
            log.warning("saga=%s step=%s dropped (fault injection)", command.saga_id, command.step_id)
            return True
        if command.deadline < datetime.now(UTC):
            log.warning(
                "saga=%s step=%s refused: deadline %s passed",
                command.saga_id,
                command.step_id,
                command.deadline.isoformat(),
            )
            return True
        return False

    async def _answer(self, message: AbstractIncomingMessage, reply: Reply) -> None:
        log.info(
            "saga=%s step=%s success=%s error=%s", reply.saga_id, reply.step_id, reply.success, reply.error
        )
        outcome = await self._outgoing.submit(_Answer(message, reply))
        if outcome is None:
            await message.ack()
        else:
            # The command comes back, and the inbox answers it with the same reply.
            log.warning(
                "saga=%s step=%s reply not sent (%r), requeued", reply.saga_id, reply.step_id, outcome
            )
            await requeue(message)

    async def _send_together(self, answers: list[_Answer]) -> list[Exception | None]:
        """Sends the replies that are ready together in one message per reply queue; per answer,
        the reason its reply could not be sent, or None."""
        by_queue: defaultdict[str, list[_Answer]] = defaultdict(list)
        for answer in answers:
            by_queue[self._reply_queue(answer.command)].append(answer)
        failures = await asyncio.gather(*(self._send(queue, group) for queue, group in by_queue.items()))
        failed = {
            id(a): failure for group, failure in zip(by_queue.values(), failures, strict=True) for a in group
        }
        return [failed[id(answer)] for answer in answers]

    def _reply_queue(self, command: AbstractIncomingMessage) -> str:
        """The replica's that sent the command, if it named its reply queue; else the shared one,
        which every replica consumes."""
        reply_to = command.reply_to
        if reply_to and is_reply_queue(reply_to, self._settings.queue_prefix):
            return reply_to
        return self._replies

    async def _send(self, queue: str, answers: list[_Answer]) -> Exception | None:
        replies = [answer.reply.model_dump(mode="json", by_alias=True) for answer in answers]
        body = json.dumps(replies[0] if len(replies) == 1 else replies)
        message_id = answers[0].command.message_id if len(answers) == 1 else None
        try:
            await self._publish(queue, body, message_id)
        except BROKER_UNAVAILABLE as exc:
            return exc
        return None

    async def _publish(self, queue: str, body: bytes, message_id: str | None) -> None:
        try:
            await self._publisher.publish(queue, body, message_id=message_id)
        except UNROUTABLE:
            if queue == self._replies:
                raise
            log.info("reply queue %s is gone; replying to %s", queue, self._replies)
            await self._publisher.publish(self._replies, body, message_id=message_id)
