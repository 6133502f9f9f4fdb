"""The inventory service's books: one reservation per saga in `reservations`, and the stock on hand,
which must have fallen by exactly what the reservations hold and the completed sagas took."""

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from shared.books import Books, Findings

HELD = """
SELECT product_id, sum(quantity) AS units FROM reservations WHERE status = 'RESERVED' GROUP BY product_id
"""


async def sample(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    """A product of the reference's own, so that no caller depends on another's stock."""
    await pool.execute("INSERT INTO products (product_id, stock) VALUES ($1, $2)", f"{ref}-p", 10)
    return {"orderId": ref, "productId": f"{ref}-p", "quantity": 3}


async def check(
    conn: asyncpg.Connection, completed: Sequence[Mapping[str, Any]], seeded: Mapping[str, int]
) -> Findings:
    """For each seeded product: the stock it lost, against the units reserved and the units sold."""
    stock = {r["product_id"]: r["stock"] for r in await conn.fetch("SELECT product_id, stock FROM products")}
    held = {r["product_id"]: r["units"] for r in await conn.fetch(HELD)}
    sold: Counter[str] = Counter()
    for saga_input in completed:
        sold[saga_input["productId"]] += saga_input["quantity"]
    found = Findings()
    for product, before in seeded.items():
        taken, reserved = before - stock.get(product, 0), held.get(product, 0)
        found.taken[product] = taken
        if taken != reserved:
            found.double_effects.append(f"{product}: stock fell by {taken}, reservations hold {reserved}")
        if taken != sold[product]:
            found.imbalances.append(f"{product}: stock fell by {taken}, completed sagas took {sold[product]}")
    return found


BOOKS = Books(
    table="reservations",
    done="RESERVED",
    undone="RELEASED",
    marker="VOIDED",
    refusal="reservation already released",
    result_keys=frozenset({"productId", "quantity", "status"}),
    sample=sample,
    tracks_stock=True,
    check=check,
)
