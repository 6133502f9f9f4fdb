"""The payment service's books: one row per saga in `payments`."""

from typing import Any

import asyncpg

from shared.books import Books


async def sample(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "amount": 49.9}


BOOKS = Books(
    table="payments",
    done="CHARGED",
    undone="REFUNDED",
    marker="VOIDED",
    refusal="payment already cancelled",
    result_keys=frozenset({"paymentId", "status"}),
    sample=sample,
)
