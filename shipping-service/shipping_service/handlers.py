"""The shipping service's commands: create the saga's shipment, and cancel it as its compensation."""

from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts import CancelShipment, CreateShipment
from shared.worker import Handler, Outcome, done, refused
from shipping_service.rules import oversize_reason

CREATED = "CREATED"

CREATE = """
INSERT INTO shipments (saga_id, order_id, product_id, quantity, payment_id, status)
VALUES ($1, $2, $3, $4, $5, 'CREATED')
ON CONFLICT (saga_id) DO NOTHING
RETURNING shipment_id, status
"""

# One statement either way: cancel this saga's shipment, or, with none yet, leave the VOIDED
# marker. A shipment already cancelled or voided is left alone and nothing is returned.
CANCEL = """
INSERT INTO shipments (saga_id, order_id, product_id, quantity, status)
VALUES ($1, $2, $3, $4, 'VOIDED')
ON CONFLICT (saga_id) DO UPDATE SET status = 'CANCELLED', updated_at = now()
    WHERE shipments.status = 'CREATED'
RETURNING shipment_id, status
"""

CURRENT = "SELECT shipment_id, status FROM shipments WHERE saga_id = $1"


async def create_shipment(conn: asyncpg.Connection, saga_id: UUID, command: CreateShipment) -> Outcome:
    oversize = oversize_reason(command.quantity)
    if oversize is not None:
        return refused("shipment_too_large", oversize)
    row = await conn.fetchrow(
        CREATE, saga_id, command.order_id, command.product_id, command.quantity, command.payment_id
    )
    if row is None:
        # This saga has a shipment already: its own, or the marker of a cancel.
        row = await conn.fetchrow(CURRENT, saga_id)
        if row["status"] != CREATED:
            return refused("already_compensated", "shipment already cancelled")
    return done(shipmentId=str(row["shipment_id"]), status=CREATED)


async def cancel_shipment(conn: asyncpg.Connection, saga_id: UUID, command: CancelShipment) -> Outcome:
    row = await conn.fetchrow(CANCEL, saga_id, command.order_id, command.product_id, command.quantity)
    if row is None:
        row = await conn.fetchrow(CURRENT, saga_id)
    return done(shipmentId=str(row["shipment_id"]), status=row["status"])


HANDLERS: dict[str, Handler[Any]] = {
    "createShipment": Handler(CreateShipment, create_shipment),
    "cancelShipment": Handler(CancelShipment, cancel_shipment),
}
