"""The shipping service's books: one row per saga in `shipments`."""

from typing import Any

import asyncpg

from shared.books import Books


async def sample(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "productId": "item-001", "quantity": 2}


BOOKS = Books(
    table="shipments",
    done="CREATED",
    undone="CANCELLED",
    marker="VOIDED",
    refusal="shipment already cancelled",
    result_keys=frozenset({"shipmentId", "status"}),
    sample=sample,
)
