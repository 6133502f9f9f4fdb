"""The notification service's books: one notification per saga in `notifications`. It has no
compensation: its step runs once the saga can no longer fail, and is retried until it is sent."""

from typing import Any

import asyncpg

from shared.books import Books


async def sample(pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
    return {"orderId": ref, "shipmentId": f"{ref}-shipment"}


BOOKS = Books(
    table="notifications",
    done="SENT",
    result_keys=frozenset({"notificationId", "status"}),
    sample=sample,
)
