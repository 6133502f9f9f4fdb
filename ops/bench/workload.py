"""One measured point: N sagas at C in flight, with the processes sampled, the timings read and the
books audited."""

import time
from dataclasses import dataclass

from ops.bench import audit, resources, timings
from ops.bench.audit import Books
from ops.bench.load import Load, orders
from ops.bench.options import FAIL_EVERY
from ops.bench.resources import Sampler, Usage
from ops.bench.stack import Target
from ops.bench.timings import Timings


@dataclass(frozen=True)
class Point:
    orchestrators: int
    concurrency: int
    sagas: int
    timings: Timings
    usage: list[Usage]
    sampler_cpu_seconds: float
    load_seconds: float  # first start to the last end the polls saw
    polls_per_saga: float
    http_errors: int
    books: Books

    @property
    def failure_share(self) -> float:
        return 1 / FAIL_EVERY

    def cpu_ms_per_saga(self, usage: Usage) -> float:
        return usage.cpu_seconds * 1000 / self.sagas

    def cores(self, usage: Usage) -> float:
        """Average cores the process kept busy while the load ran."""
        return usage.cpu_seconds / self.load_seconds if self.load_seconds else 0.0


def _groups(target: Target) -> list[tuple[str, resources.Finder]]:
    named = [(service, resources.fixed([pid])) for service, pid in sorted(target.pids.items())]
    return [
        *named,
        (resources.POSTGRES, resources.postgres(target.namespace)),
        (resources.RABBITMQ, resources.rabbitmq()),
    ]


async def run(target: Target, concurrency: int, sagas: int) -> Point:
    run_id = f"b{time.time_ns() // 1_000_000 % 10**10}-c{concurrency}"
    batch = orders(run_id, sagas)
    stock_before = await audit.stock(target)
    sampler = Sampler(_groups(target))
    load = Load(target.urls, concurrency)
    try:
        sampler.start()
        result = await load.run(batch)
        usage, sampler_cpu = sampler.stop()
    finally:
        await load.close()
    return Point(
        orchestrators=len(target.urls),
        concurrency=concurrency,
        sagas=sagas,
        timings=await timings.read(target, [o.order_id for o in batch]),
        usage=usage,
        sampler_cpu_seconds=sampler_cpu,
        load_seconds=result.seconds,
        polls_per_saga=result.polls / sagas,
        http_errors=result.http_errors,
        books=await audit.audit(target, batch, stock_before),
    )
