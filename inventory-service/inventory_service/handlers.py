"""The inventory service's commands: reserve stock for the saga, and release it as its compensation.

Both commands lock the saga's reservation before the product row, in that order, so a reserve
and a release racing for the same saga queue up behind each other instead of deadlocking.
"""

from typing import Any
from uuid import UUID

import asyncpg

from shared.contracts import OrderLinePayload, ReleaseStock, ReserveStock
from shared.worker import Handler, Outcome, done, refused

RESERVED = "RESERVED"

CLAIM = """
INSERT INTO reservations (saga_id, product_id, quantity, status) VALUES ($1, $2, $3, 'RESERVED')
ON CONFLICT (saga_id) DO NOTHING
RETURNING status
"""

TAKE = """
UPDATE products SET stock = stock - $2 WHERE product_id = $1 AND stock >= $2 RETURNING stock
"""

# One statement either way: release this saga's reservation and put its stock back, or, with
# no reservation yet, leave the VOIDED marker. One already released or voided returns nothing.
RELEASE = """
WITH released AS (
    INSERT INTO reservations (saga_id, product_id, quantity, status) VALUES ($1, $2, $3, 'VOIDED')
    ON CONFLICT (saga_id) DO UPDATE SET status = 'RELEASED', updated_at = now()
        WHERE reservations.status = 'RESERVED'
    RETURNING product_id, quantity, status
), restocked AS (
    UPDATE products SET stock = products.stock + released.quantity
    FROM released
    WHERE released.status = 'RELEASED' AND products.product_id = released.product_id
)
SELECT product_id, quantity, status FROM released
"""

CURRENT = "SELECT product_id, quantity, status FROM reservations WHERE saga_id = $1"


async def reserve_stock(conn: asyncpg.Connection, saga_id: UUID, command: ReserveStock) -> Outcome:
    if await conn.fetchval(CLAIM, saga_id, command.product_id, command.quantity) is None:
        # This saga has a reservation already: its own, or the marker of a release.
        row = await conn.fetchrow(CURRENT, saga_id)
        if row["status"] != RESERVED:
            return refused("already_compensated", "reservation already released")
        return _answer(row)
    if await conn.fetchval(TAKE, command.product_id, command.quantity) is None:
        # A refusal commits with its reply, so the claim must not outlive it.
        await conn.execute("DELETE FROM reservations WHERE saga_id = $1", saga_id)
        return await _shortage(conn, command)
    return done(productId=command.product_id, quantity=command.quantity, status=RESERVED)


async def release_stock(conn: asyncpg.Connection, saga_id: UUID, command: ReleaseStock) -> Outcome:
    row = await conn.fetchrow(RELEASE, saga_id, command.product_id, command.quantity)
    if row is None:
        row = await conn.fetchrow(CURRENT, saga_id)
    return _answer(row)


async def _shortage(conn: asyncpg.Connection, command: OrderLinePayload) -> Outcome:
    known = await conn.fetchval("SELECT true FROM products WHERE product_id = $1", command.product_id)
    if known:
        return refused("insufficient_stock", "insufficient stock")
    return refused("unknown_product", f"unknown product {command.product_id}")


def _answer(row: asyncpg.Record) -> Outcome:
    return done(productId=row["product_id"], quantity=row["quantity"], status=row["status"])


HANDLERS: dict[str, Handler[Any]] = {
    "reserveStock": Handler(ReserveStock, reserve_stock),
    "releaseStock": Handler(ReleaseStock, release_stock),
}
