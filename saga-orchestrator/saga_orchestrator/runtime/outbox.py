"""Publishing the outbox: right after commit on the hot path, and by a relay for rows left behind."""

import asyncio
import logging

import asyncpg

from saga_orchestrator.persistence import outbox
from saga_orchestrator.persistence.sagas import OutboxMessage
from shared import json
from shared.broker import BROKER_UNAVAILABLE, Publisher
from shared.database import UNAVAILABLE

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

    async def publish(self, messages: list[OutboxMessage], outbox_ids: list[int]) -> None:
        try:
            await asyncio.gather(
                *(
                    self._publisher.publish(
                        m.queue, json.dumps(m.body), message_id=str(m.message_id), reply_to=self._reply_to
                    )
                    for m in messages
                )
            )
        except BROKER_UNAVAILABLE as exc:
            log.warning("publish failed (%s); the outbox relay will retry", exc)
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
            await asyncio.gather(
                *(
                    self._publisher.publish(
                        row["queue"],
                        json.dumps(row["body"]),
                        message_id=str(row["message_id"]),
                        reply_to=self._reply_to,
                    )
                    for row in rows
                )
            )
            await outbox.delete(conn, [row["id"] for row in rows])
        log.info("relayed %d outbox messages", len(rows))
        return len(rows)
