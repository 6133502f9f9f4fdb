"""The order service's commands: create the saga's order, and cancel it as its compensation."""

from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts import CancelOrder, CreateOrder, OrderPayload
from shared.worker import Handler, Outcome, done, refused

CREATED = "CREATED"
CANCELLED = "CANCELLED"

# No conflict target: the order id and the saga id are both unique, and either one taken
# means this saga cannot create this order now.
INSERT = """
INSERT INTO orders (order_id, saga_id, product_id, quantity, amount, status)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT DO NOTHING
RETURNING order_id
"""

# Only a CREATED order changes, so a repeated cancel leaves the row, updated_at included, alone.
CANCEL = """
UPDATE orders SET status = 'CANCELLED', updated_at = now()
WHERE saga_id = $1 AND status = 'CREATED'
RETURNING order_id
"""


async def create_order(conn: asyncpg.Connection, saga_id: UUID, command: CreateOrder) -> Outcome:
    if await _insert(conn, saga_id, command, CREATED) is not None:
        return done(orderId=command.order_id, status=CREATED)
    # Another row got in first: this saga's own (created before, or the marker of a cancel
    # that came first) or another saga's order under the same id.
    row = await conn.fetchrow("SELECT order_id, status FROM orders WHERE saga_id = $1", saga_id)
    if row is None:
        return refused("order_exists", f"order {command.order_id} already exists")
    if row["status"] == CANCELLED:
        return refused("already_compensated", "order already cancelled")
    return done(orderId=row["order_id"], status=CREATED)


async def cancel_order(conn: asyncpg.Connection, saga_id: UUID, command: CancelOrder) -> Outcome:
    if await conn.fetchval(CANCEL, saga_id) is not None:
        return done(orderId=command.order_id, status=CANCELLED)
    # Nothing CREATED to cancel: the marker makes a late createOrder do nothing.
    if await _insert(conn, saga_id, command, CANCELLED) is None:
        # A row beat the marker: a createOrder that committed meanwhile, which is cancelled
        # now, or this saga's cancelled order or another saga's, which stay as they are.
        await conn.fetchval(CANCEL, saga_id)
    return done(orderId=command.order_id, status=CANCELLED)


async def _insert(conn: asyncpg.Connection, saga_id: UUID, command: OrderPayload, status: str) -> str | None:
    order_id: str | None = await conn.fetchval(
        INSERT,
        command.order_id,
        saga_id,
        command.product_id,
        command.quantity,
        command.amount,
        status,
    )
    return order_id


HANDLERS: dict[str, Handler[Any]] = {
    "createOrder": Handler(CreateOrder, create_order),
    "cancelOrder": Handler(CancelOrder, cancel_order),
}
