"""The fraud service's books: one assessment per saga in `assessments`."""

from typing import Any

import asyncpg

from shared.books import Books


async def sample(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "amount": 2500, "paymentId": f"{ref}-payment"}


BOOKS = Books(
    table="assessments",
    done="CLEARED",
    undone="WITHDRAWN",
    marker="VOIDED",
    refusal="assessment already withdrawn",
    result_keys=frozenset({"assessmentId", "verdict", "status"}),
    sample=sample,
)
