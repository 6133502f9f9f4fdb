"""Saga traffic that rides out outages, and the wait for every saga to finish."""

import asyncio
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from ops.audit import Audit, audit
from ops.system import System

PRODUCT = "traffic-item"
INITIAL_STOCK = 1_000_000
SEED = f"{PRODUCT}={INITIAL_STOCK}"
FAIL_QUANTITY = 11  # above the shipping service's limit of 10: the saga fails at shipping
FAILS_AT = "shipping"  # the service that refuses FAIL_QUANTITY
EXPRESS = "express_order"
EXPRESS_EVERY = 3  # in a mixed run: every third saga an express order
# An express order's amount, in turn: below the fraud check's 1000, so skipped; checked and cleared;
# above the fraud service's review limit, so refused and undone.
EXPRESS_AMOUNTS = (10, 2000, 6000)


@dataclass(frozen=True)
class Start:
    workflow: str
    path: str  # the workflow's start route: the order saga's is the seed's
    body: dict[str, Any]


@dataclass
class Traffic:
    """Starts `count` sagas of `PRODUCT`, 90% that can complete and 10% that fail at shipping
    (FAIL_QUANTITY), `concurrency` at a time, spread over the orchestrators at `urls`. They are
    order sagas; with `express_every` n, every n-th is an express order, whose amounts take each
    way past the fraud check in turn (EXPRESS_AMOUNTS).

    A start that meets an outage is sent again: starting is idempotent per order id.
    With `rate`, starts are paced to that many a second, so that a run lasts long enough.
    """

    urls: list[str]
    count: int = 60
    concurrency: int = 6
    rate: float | None = None
    express_every: int = 0
    accepted: list[str] = field(default_factory=list)
    starts: list[Start] = field(init=False)

    def __post_init__(self) -> None:
        rng = random.Random(self.count)
        self.starts = [self._start(index, rng.random() < 0.1) for index in range(self.count)]

    def _start(self, index: int, fails_at_shipping: bool) -> Start:
        body = {
            "orderId": f"order-{uuid.uuid4().hex[:12]}",
            "productId": PRODUCT,
            "quantity": FAIL_QUANTITY if fails_at_shipping else 1,
            "amount": 10,
        }
        if not self.express_every or index % self.express_every != self.express_every - 1:
            return Start("order", "/saga/start", body)
        amount = EXPRESS_AMOUNTS[index // self.express_every % len(EXPRESS_AMOUNTS)]
        return Start(EXPRESS, f"/workflows/{EXPRESS}/start", {**body, "amount": amount})

    @property
    def workflows(self) -> Counter[str]:
        """How many of the accepted starts were of each workflow."""
        accepted = set(self.accepted)
        return Counter(start.workflow for start in self.starts if start.body["orderId"] in accepted)

    async def run(self) -> None:
        queue: asyncio.Queue[tuple[float, Start]] = asyncio.Queue()
        begin = time.monotonic()
        for index, start in enumerate(self.starts):
            queue.put_nowait((begin + index / self.rate if self.rate else begin, start))
        clients = [httpx.AsyncClient(base_url=url, timeout=5) for url in self.urls]
        try:
            await asyncio.gather(*(self._worker(queue, clients, i) for i in range(self.concurrency)))
        finally:
            for client in clients:
                await client.aclose()

    async def _worker(
        self, queue: asyncio.Queue[tuple[float, Start]], clients: list[httpx.AsyncClient], turn: int
    ) -> None:
        """Spreads starts over the replicas; a start that fails is sent again to the next one."""
        while not queue.empty():
            due, start = queue.get_nowait()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            while not await self._sent(clients[turn % len(clients)], start):
                turn += 1
                await asyncio.sleep(0.1)
            self.accepted.append(start.body["orderId"])

    @staticmethod
    async def _sent(client: httpx.AsyncClient, start: Start) -> bool:
        try:
            response = await client.post(start.path, json=start.body)
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
