"""The notification service's command: tell the customer that the saga's order has shipped. It has
no compensation: the step comes after the saga's point of no return."""

from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts import SendNotification
from shared.worker import Handler, Outcome, done

SENT = "SENT"

SEND = """
INSERT INTO notifications (saga_id, order_id, shipment_id, status) VALUES ($1, $2, $3, 'SENT')
ON CONFLICT (saga_id) DO NOTHING
RETURNING notification_id
"""

CURRENT = "SELECT notification_id FROM notifications WHERE saga_id = $1"


async def send_notification(conn: asyncpg.Connection, saga_id: UUID, command: SendNotification) -> Outcome:
    notification_id = await conn.fetchval(SEND, saga_id, command.order_id, command.shipment_id)
    if notification_id is None:
        # Sent before for this saga, under another message id: the same notification, not a second.
        notification_id = await conn.fetchval(CURRENT, saga_id)
    return done(notificationId=str(notification_id), status=SENT)


HANDLERS: dict[str, Handler[Any]] = {
    "sendNotification": Handler(SendNotification, send_notification),
}
