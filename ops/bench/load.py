"""The load generator: starts sagas over HTTP and keeps `concurrency` of them in flight.

It shares the two cores with the system, so it stays cheap: one keep-alive client per replica
(see `transport`), and one status request per saga that the orchestrator holds until the saga
settles (`?wait=`), instead of polls that would each cost the orchestrator a request. The
answers only tell it when to start the next saga; latencies come from the orchestrator's own
timestamps afterwards.
"""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ops.audit import TERMINAL
from ops.bench.options import FAIL_EVERY, order_input
from ops.bench.transport import Client, ClientError, open_client
from ops.bench.workflow_files import DEFAULT
from ops.traffic import FAIL_QUANTITY
from saga_orchestrator.engine.definition import COMPENSATION_FAILED, COMPLETION_FAILED
from shared import json

# The states a saga stops in; a parked one waits for an operator, so the audit flags it.
STOPPED = frozenset({*TERMINAL, COMPENSATION_FAILED, COMPLETION_FAILED})
SAGA_TIMEOUT_SECONDS = 60.0
WAIT_SECONDS = 30  # how long one request may wait for its saga to settle
POLL_SECONDS = 0.01  # between status requests that came back unsettled (an API without `wait`)
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


@dataclass
class LoadResult:
    outcomes: dict[str, str] = field(default_factory=dict)  # order id -> last status seen
    status_requests: int = 0
    http_errors: int = 0
    seconds: float = 0.0


def routes(workflow: str) -> tuple[str, str]:
    """Where a saga of the workflow starts, and where its status is read (`{key}` in it); the order
    workflow keeps the seed's routes, which every earlier run measured."""
    if workflow == DEFAULT:
        return "/saga/start", "/saga/{key}/status"
    return f"/workflows/{workflow}/start", f"/workflows/{workflow}/sagas/{{key}}/status"


class Load:
    def __init__(
        self, urls: list[str], concurrency: int, client: str, api_key: str | None, workflow: str = DEFAULT
    ) -> None:
        self._clients = [open_client(client, url, concurrency, api_key) for url in urls]
        self._concurrency = concurrency
        self._routes = routes(workflow)
        self._answered = time.perf_counter()
        self.result = LoadResult()

    async def run(self, batch: list[Order]) -> LoadResult:
        """Runs every order to its end, `concurrency` at a time; order i goes to replica i mod n."""
        self.result = LoadResult()
        queue = iter(enumerate(batch))
        began = self._answered = time.perf_counter()
        try:
            async with asyncio.TaskGroup() as slots:  # one slot failing stops them all
                for _ in range(self._concurrency):
                    slots.create_task(self._slot(queue))
        except* Unreachable as group:
            raise group.exceptions[0] from None
        self.result.seconds = time.perf_counter() - began
        return self.result

    async def close(self) -> None:
        for client in self._clients:
            await client.close()

    async def _slot(self, queue: Iterator[tuple[int, Order]]) -> None:
        for i, order in queue:  # one iterator shared by every slot: each order is taken once
            client = self._clients[i % len(self._clients)]
            self.result.outcomes[order.order_id] = await self._drive(client, order)

    async def _drive(self, client: Client, order: Order) -> str:
        body = order_input(order.order_id, order.quantity)
        deadline = time.perf_counter() + SAGA_TIMEOUT_SECONDS
        start_route, status_route = self._routes
        start = f"{start_route}?wait={WAIT_SECONDS}"  # answers with the outcome
        while (status := await self._request(client, "POST", start, body)) is None:
            if time.perf_counter() > deadline:
                return "NOT_STARTED"
            await asyncio.sleep(RETRY_SECONDS)  # starting is idempotent per order id
        path = f"{status_route.format(key=order.order_id)}?wait={WAIT_SECONDS}"
        while status["status"] not in STOPPED:
            if time.perf_counter() > deadline:
                return f"TIMED_OUT({status['status']})"
            self.result.status_requests += 1
            answer = await self._request(client, "GET", path)
            if answer is None or answer["status"] not in STOPPED:
                await asyncio.sleep(POLL_SECONDS)
            status = answer or status
        return str(status["status"])

    async def _request(
        self, client: Client, method: str, path: str, body: object = None
    ) -> dict[str, Any] | None:
        """The answer's body; None for a failed request, to be sent again."""
        try:
            code, content = await client.call(method, path, body)
        except ClientError:
            code, content = 0, b""
        if code not in (200, 202):
            self.result.http_errors += 1
            if time.perf_counter() - self._answered > UNREACHABLE_SECONDS:
                raise Unreachable(
                    f"no good answer for {UNREACHABLE_SECONDS:.0f} s; last {code} {content[:200]!r}"
                )
            return None
        self._answered = time.perf_counter()
        answer: dict[str, Any] = json.loads(content)
        return answer
