"""One measured point: N sagas at C in flight, with the processes sampled, the timings read and the
books audited."""

import time
from collections import Counter
from dataclasses import dataclass

import asyncpg

from ops.audit import Audit, audit
from ops.bench import resources, timings
from ops.bench.cost import SagaCost
from ops.bench.load import Load, LoadResult, Order, orders
from ops.bench.options import FAIL_EVERY, PRODUCT, SEED_STOCK
from ops.bench.resources import Sample, Sampler, Usage
from ops.bench.stack import Target
from ops.bench.timings import Timings
from saga_orchestrator.engine.definition import Workflow

SHOWN = 3  # problems named in a summary


def counts(statuses: Counter[str]) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))


def summary(problems: list[str]) -> list[str]:
    """The first few, and how many more: an audit may list every saga of a point."""
    return problems[:SHOWN] + ([f"{len(problems) - SHOWN} more"] if len(problems) > SHOWN else [])


@dataclass(frozen=True)
class Books:
    """A point's part of the system's books: the audit after it, less the audit before it."""

    audit: Audit
    statuses: Counter[str]  # how the point's sagas ended
    expected: Counter[str]  # how their orders say they end
    stock_taken: int

    @classmethod
    def since(cls, before: Audit, after: Audit, batch: list[Order]) -> "Books":
        taken = after.stock_taken[PRODUCT] - before.stock_taken[PRODUCT]
        return cls(after, after.statuses - before.statuses, Counter(o.expected for o in batch), taken)

    @property
    def problems(self) -> list[str]:
        """The audit's violations, and sagas that ended otherwise than their orders say."""
        ended = f"sagas ended {counts(self.statuses)}, expected {counts(self.expected)}"
        return [*self.audit.violations, *([] if self.statuses == self.expected else [ended])]

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> list[str]:
        return summary(self.problems)


async def audit_books(target: Target, started: list[str]) -> Audit:
    """The whole system's books: a running system must have been seeded as the bench seeds its own."""
    return await audit(target.config, started, {PRODUCT: SEED_STOCK})


@dataclass(frozen=True)
class Point:
    workflow: str
    cost: SagaCost  # what one saga of the point's mix needs at least
    client: str
    orchestrators: int
    concurrency: int
    sagas: int
    timings: Timings
    usage: list[Usage]
    sampler_cpu_seconds: float
    machine_cpu_seconds: float
    load_seconds: float  # first start to the last end the load generator saw
    status_requests_per_saga: float
    http_errors: int
    write_transactions: int  # committed or not, by any process: every write the load caused
    books: Books

    @property
    def failure_share(self) -> float:
        return 1 / FAIL_EVERY

    def cpu_ms_per_saga(self, usage: Usage) -> float:
        return usage.cpu_seconds * 1000 / self.sagas

    @property
    def write_transactions_per_saga(self) -> float:
        return self.write_transactions / self.sagas

    def cores(self, usage: Usage) -> float:
        """Average cores the process kept busy while the load ran."""
        return usage.cpu_seconds / self.load_seconds if self.load_seconds else 0.0


def _groups(target: Target) -> list[tuple[str, resources.Finder]]:
    named = [(service, resources.fixed([pid])) for service, pid in sorted(target.pids.items())]
    return [
        *named,
        (resources.POSTGRES, resources.postgres(target.config.namespace)),
        (resources.RABBITMQ, resources.rabbitmq()),
    ]


async def _next_transaction_id(postgres_url: str) -> int:
    """The id the server gives its next writing transaction, in any database; read-only ones take
    none, so the difference over a point counts the point's writes."""
    conn = await asyncpg.connect(postgres_url)
    try:
        return int(await conn.fetchval("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint"))
    finally:
        await conn.close()


async def _load(
    target: Target, workflow: str, batch: list[Order], concurrency: int, client: str
) -> tuple[LoadResult, Sample, int]:
    """What the load generator saw, what the processes used, and how many transactions wrote."""
    sampler = Sampler(_groups(target))
    load = Load(target.urls, concurrency, client, target.api_key, workflow)
    try:
        first_id = await _next_transaction_id(target.config.postgres_url)
        sampler.start()
        result = await load.run(batch)
        sample = sampler.stop()
        writes = await _next_transaction_id(target.config.postgres_url) - first_id
        return result, sample, writes
    finally:
        await load.close()


async def run(
    target: Target, workflow: Workflow, concurrency: int, sagas: int, *, client: str, before: Audit
) -> Point:
    """`before` is the audit after the last point on this system, so that this point's part shows."""
    batch = orders(f"b{time.time_ns() // 1_000_000 % 10**10}-c{concurrency}", sagas)
    result, sample, writes = await _load(target, workflow.name, batch, concurrency, client)
    started = [order.order_id for order in batch]
    return Point(
        workflow=workflow.name,
        cost=SagaCost.of_mix(workflow, 1 / FAIL_EVERY),
        client=client,
        orchestrators=len(target.urls),
        concurrency=concurrency,
        sagas=sagas,
        timings=await timings.read(target, started),
        usage=sample.usage,
        sampler_cpu_seconds=sample.sampler_cpu_seconds,
        machine_cpu_seconds=sample.machine_cpu_seconds,
        load_seconds=result.seconds,
        status_requests_per_saga=result.status_requests / sagas,
        http_errors=result.http_errors,
        write_transactions=writes,
        books=Books.since(before, await audit_books(target, started), batch),
    )
