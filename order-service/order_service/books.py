"""The order service's books: one row per saga in `orders`."""

from typing import Any

import asyncpg

from shared.books import Books


async def sample(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "productId": "item-001", "quantity": 2, "amount": 49.9}


BOOKS = Books(
    table="orders",
    done="CREATED",
    undone="CANCELLED",
    marker="CANCELLED",
    refusal="order already cancelled",
    result_keys=frozenset({"orderId", "status"}),
    sample=sample,
)
