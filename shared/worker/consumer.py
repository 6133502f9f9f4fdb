"""The per-message path of a worker: decode, check, apply through the inbox, reply, ack."""

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from pydantic import ValidationError

from shared import json
from shared.broker import BROKER_UNAVAILABLE, UNROUTABLE, Publisher, requeue
from shared.contracts import CommandMessage, Reply
from shared.database import RETRY_LATER
from shared.settings import ProcessSettings
from shared.topology import is_reply_queue, reply_queue
from shared.worker.handlers import Handler
from shared.worker.inbox import Inbox

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 1.0


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
        body = json.dumps(reply.model_dump(mode="json", by_alias=True))
        try:
            await self._send(message, body)
            await message.ack()
        except BROKER_UNAVAILABLE as exc:
            # The command comes back, and the inbox answers it with the same reply.
            log.warning("saga=%s step=%s reply not sent (%r), requeued", reply.saga_id, reply.step_id, exc)
            await requeue(message)

    async def _send(self, command: AbstractIncomingMessage, reply: bytes) -> None:
        """To the replica that sent the command, if it named its reply queue; else, or if that
        queue is gone, to the shared reply queue, which every replica consumes."""
        reply_to = command.reply_to
        if reply_to and is_reply_queue(reply_to, self._settings.queue_prefix):
            try:
                await self._publisher.publish(reply_to, reply, message_id=command.message_id)
                return
            except UNROUTABLE:
                log.info("reply queue %s is gone; replying to %s", reply_to, self._replies)
        await self._publisher.publish(self._replies, reply, message_id=command.message_id)
