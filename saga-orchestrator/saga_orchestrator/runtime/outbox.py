"""Publishing the outbox: right after commit on the hot path, and by a relay for rows left behind."""

import asyncio
import logging

import asyncpg

from saga_orchestrator.persistence import outbox
from saga_orchestrator.persistence.sagas import OutboxMessage
from shared.batching import Batcher, send_grouped
from shared.broker import Publisher
from shared.database import UNAVAILABLE
from shared.messages import send_items

log = logging.getLogger(__name__)

RELAY_BATCH = 500


class OutboxPublisher:
    """Publishes committed outbox rows and deletes them in batches afterwards.

    A row whose publish fails, or whose delete is lost in a crash, stays in the table for the
    relay: a command may then go out twice, which the services' inboxes absorb.
    """

    def __init__(self, pool: asyncpg.Pool, publisher: Publisher, reply_to: str) -> None:
        self._pool = pool
        self._publisher = publisher
        self._reply_to = reply_to  # whoever publishes a command gets its reply
        self._published: list[int] = []
        # Commands that are ready together go out together, one message per command queue.
        self._outgoing: Batcher[OutboxMessage, Exception | None] = Batcher(self._send_together)

    async def publish(self, messages: list[OutboxMessage], outbox_ids: list[int]) -> None:
        not_sent = await asyncio.gather(*(self._outgoing.submit(message) for message in messages))
        if failure := _first_failure(not_sent):
            log.warning("publish failed (%s); the outbox relay will retry", failure)
            return
        self._published.extend(outbox_ids)

    async def delete_published(self) -> None:
        ids, self._published = self._published, []
        if not ids:
            return
        try:
            await outbox.delete(self._pool, ids)
        except UNAVAILABLE:
            self._published.extend(ids)
            raise

    async def relay_stale(self, older_than_seconds: float) -> int:
        """Publishes rows nobody published in time; returns how many."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await outbox.claim_stale(conn, older_than_seconds, RELAY_BATCH)
            if not rows:
                return 0
            messages = [OutboxMessage(row["queue"], row["message_id"], row["body"]) for row in rows]
            if failure := _first_failure(await self._send_together(messages)):
                raise failure  # the rows stay, for the next round
            await outbox.delete(conn, [row["id"] for row in rows])
        log.info("relayed %d outbox messages", len(rows))
        return len(rows)

    async def _send_together(self, messages: list[OutboxMessage]) -> list[Exception | None]:
        return await send_grouped(messages, lambda message: message.queue, self._send)

    async def _send(self, queue: str, messages: list[OutboxMessage]) -> Exception | None:
        bodies = [message.body for message in messages]
        ids = [str(message.message_id) for message in messages]
        return await send_items(self._publisher, queue, bodies, ids, reply_to=self._reply_to)


def _first_failure(not_sent: list[Exception | None]) -> Exception | None:
    return next((reason for reason in not_sent if reason is not None), None)
