"""The load generator: starts sagas over HTTP and keeps `concurrency` of them in flight.

It shares the two cores with the system, so it stays cheap: one keep-alive httpx client per
replica, and few status polls per saga (see `Pacer`). Polls only tell it when to start the next
saga; latencies come from the orchestrator's own timestamps afterwards.
"""

import asyncio
import statistics
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from ops.bench.options import AMOUNT, FAIL_EVERY, FAIL_QUANTITY, PRODUCT
from shared import json

# The states a saga stops in; COMPENSATION_FAILED waits for an operator, so the audit flags it.
STOPPED = frozenset({"COMPLETED", "FAILED", "CANCELLED", "COMPENSATION_FAILED"})
SAGA_TIMEOUT_SECONDS = 60.0
UNREACHABLE_SECONDS = 10.0  # no answer at all for this long: the system is down, stop the run
RETRY_SECONDS = 0.1


class Unreachable(Exception):
    pass


@dataclass(frozen=True)
class Order:
    order_id: str
    quantity: int

    @property
    def expected(self) -> str:
        return "FAILED" if self.quantity == FAIL_QUANTITY else "COMPLETED"


def orders(run_id: str, count: int) -> list[Order]:
    """`count` orders, every FAIL_EVERY-th one too large to ship."""
    return [
        Order(f"{run_id}-{i}", FAIL_QUANTITY if i % FAIL_EVERY == FAIL_EVERY - 1 else 1) for i in range(count)
    ]


class Pacer:
    """When to ask whether a saga is done: first near a typical saga's duration, then often.

    Durations are the orchestrator's (createdAt to finishedAt in the last status), not the time
    the poll took to notice, which would feed the pacer's own delays back into it. The first
    poll comes at 0.8 of their recent median, later ones at a quarter of that.
    """

    def __init__(self, floor: float = 0.003, ceiling: float = 1.0) -> None:
        self._recent: deque[float] = deque(maxlen=128)
        self._floor = floor
        self._ceiling = ceiling
        self._first = floor

    def first(self) -> float:
        return self._first

    def again(self) -> float:
        return max(self._floor, self._first / 4)

    def observe(self, status: dict[str, Any]) -> None:
        if not status.get("finishedAt"):
            return
        took = datetime.fromisoformat(status["finishedAt"]) - datetime.fromisoformat(status["createdAt"])
        self._recent.append(took.total_seconds())
        if len(self._recent) % 8 == 0:  # a median per saga would cost more than the polls it saves
            self._first = min(self._ceiling, max(self._floor, 0.8 * statistics.median(self._recent)))


@dataclass
class LoadResult:
    outcomes: dict[str, str] = field(default_factory=dict)  # order id -> last status seen
    polls: int = 0
    http_errors: int = 0
    seconds: float = 0.0


class Load:
    def __init__(self, urls: list[str], concurrency: int) -> None:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._clients = [httpx.AsyncClient(base_url=url, limits=limits, timeout=30) for url in urls]
        self._concurrency = concurrency
        self._pacer = Pacer()
        self._answered = time.perf_counter()
        self.result = LoadResult()

    async def run(self, batch: list[Order]) -> LoadResult:
        """Runs every order to its end, `concurrency` at a time; order i goes to replica i mod n."""
        self.result = LoadResult()
        queue = iter(enumerate(batch))
        began = self._answered = time.perf_counter()
        async with asyncio.TaskGroup() as slots:  # one slot failing stops them all
            for _ in range(self._concurrency):
                slots.create_task(self._slot(queue))
        self.result.seconds = time.perf_counter() - began
        return self.result

    async def close(self) -> None:
        for client in self._clients:
            await client.aclose()

    async def _slot(self, queue: Iterator[tuple[int, Order]]) -> None:
        for i, order in queue:  # one iterator shared by every slot: each order is taken once
            client = self._clients[i % len(self._clients)]
            self.result.outcomes[order.order_id] = await self._drive(client, order)

    async def _drive(self, client: httpx.AsyncClient, order: Order) -> str:
        body = {"orderId": order.order_id, "productId": PRODUCT, "quantity": order.quantity, "amount": AMOUNT}
        deadline = time.perf_counter() + SAGA_TIMEOUT_SECONDS
        while (status := await self._request(client, "POST", "/saga/start", body)) is None:
            if time.perf_counter() > deadline:
                return "NOT_STARTED"
            await asyncio.sleep(RETRY_SECONDS)  # starting is idempotent per order id
        delay = self._pacer.first()
        while status["status"] not in STOPPED:
            if time.perf_counter() > deadline:
                return f"TIMED_OUT({status['status']})"
            await asyncio.sleep(delay)
            delay = self._pacer.again()
            self.result.polls += 1
            status = await self._request(client, "GET", f"/saga/{order.order_id}/status") or status
        self._pacer.observe(status)
        return str(status["status"])

    async def _request(
        self, client: httpx.AsyncClient, method: str, path: str, body: object = None
    ) -> dict[str, Any] | None:
        """The answer's body; None for a failed request, to be sent again."""
        try:
            response = await client.request(method, path, json=body)
        except httpx.HTTPError:
            response = None
        if response is None or response.status_code not in (200, 202):
            self.result.http_errors += 1
            if time.perf_counter() - self._answered > UNREACHABLE_SECONDS:
                raise Unreachable(f"no answer from {client.base_url} for {UNREACHABLE_SECONDS:.0f} s")
            return None
        self._answered = time.perf_counter()
        answer: dict[str, Any] = json.loads(response.content)
        return answer
