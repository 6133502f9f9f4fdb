"""Saga traffic that rides out outages, and the wait for every saga to finish."""

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from ops.audit import Audit, audit
from ops.system import System

PRODUCT = "traffic-item"
INITIAL_STOCK = 1_000_000
SEED = f"{PRODUCT}={INITIAL_STOCK}"
FAIL_QUANTITY = 11  # above the shipping service's limit of 10: the saga fails at its last step


@dataclass
class Traffic:
    """Starts `count` sagas of `PRODUCT`, 90% that complete and 10% that fail at shipping
    (FAIL_QUANTITY), `concurrency` at a time, spread over the orchestrators at `urls`.

    A start that meets an outage is sent again: starting is idempotent per order id.
    With `rate`, starts are paced to that many a second, so that a run lasts long enough.
    """

    urls: list[str]
    count: int = 60
    concurrency: int = 6
    rate: float | None = None
    accepted: list[str] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(self.count)
        self.bodies = [
            {
                "orderId": f"order-{uuid.uuid4().hex[:12]}",
                "productId": PRODUCT,
                "quantity": FAIL_QUANTITY if rng.random() < 0.1 else 1,
                "amount": 10,
            }
            for _ in range(self.count)
        ]

    async def run(self) -> None:
        queue: asyncio.Queue[tuple[float, dict[str, Any]]] = asyncio.Queue()
        begin = time.monotonic()
        for index, body in enumerate(self.bodies):
            queue.put_nowait((begin + index / self.rate if self.rate else begin, body))
        clients = [httpx.AsyncClient(base_url=url, timeout=5) for url in self.urls]
        try:
            await asyncio.gather(*(self._worker(queue, clients, i) for i in range(self.concurrency)))
        finally:
            for client in clients:
                await client.aclose()

    async def _worker(
        self, queue: asyncio.Queue[tuple[float, dict[str, Any]]], clients: list[httpx.AsyncClient], turn: int
    ) -> None:
        """Spreads starts over the replicas; a start that fails is sent again to the next one."""
        while not queue.empty():
            due, body = queue.get_nowait()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            while not await self._start(clients[turn % len(clients)], body):
                turn += 1
                await asyncio.sleep(0.1)
            self.accepted.append(body["orderId"])

    @staticmethod
    async def _start(client: httpx.AsyncClient, body: dict[str, Any]) -> bool:
        try:
            response = await client.post("/saga/start", json=body)
        except httpx.HTTPError:
            return False
        return response.status_code in (200, 202)


async def settled(system: System, traffic: Traffic, timeout: float = 60) -> Audit:
    """Waits until every accepted saga is terminal, then returns the audit of the books;
    past the deadline, returns the audit as it stands, with the stuck sagas in it."""
    deadline = time.monotonic() + timeout
    while True:
        books = await audit(system.config, traffic.accepted, {PRODUCT: INITIAL_STOCK})
        finished = books.sagas == len(traffic.accepted) and not books.stuck and not books.lost
        if finished or time.monotonic() > deadline:
            return books
        await asyncio.sleep(0.25)


async def in_flight(traffic: Traffic, started: int, timeout: float = 30) -> None:
    """Returns once `started` sagas were accepted, so that a fault lands mid-flight."""
    deadline = time.monotonic() + timeout
    while len(traffic.accepted) < started:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(traffic.accepted)} of {started} sagas started")
        await asyncio.sleep(0.02)
