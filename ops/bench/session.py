"""A whole `make bench`: the machine's ceiling, then for each replica count a fresh system, the main
workload and the sweep over concurrency; the results as JSON and a chart once the sweep ran."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ops.audit import Audit
from ops.bench import ceiling as ceilings
from ops.bench import chart, report, results, workflow_files, workload
from ops.bench.ceiling import Ceiling
from ops.bench.machine import this_machine
from ops.bench.options import PRODUCT, SEED_STOCK, Options
from ops.bench.stack import Target, fresh_system, running_system
from ops.bench.workload import Point

Runs = list[tuple[str, Point]]  # (role: "main" or "sweep", the point)
BUSY_LOAD_AVERAGE = 0.5


class Imbalanced(Exception):
    """The books do not balance: the bench stops and leaves the databases to look at."""


def say(line: str) -> None:
    print(line, flush=True)


@asynccontextmanager
async def _system(options: Options, replicas: int) -> AsyncIterator[Target]:
    if options.urls:
        yield running_system(options)
        return
    say(f"starting the system: {report.replicas(replicas)}, namespace {options.prefix!r}")
    async with fresh_system(options, replicas) as target:
        yield target


class Session:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.workflow = workflow_files.definitions()[options.workflow].workflow
        self.machine = this_machine()
        self.ceiling: Ceiling | None = None
        self.runs: Runs = []
        self.books = Audit()  # the last audit of the system measured now

    async def open_books(self, target: Target) -> None:
        """Audits the system before its first saga, so that each point's part of the books shows; a
        running system's books may not balance to start with, or lack the bench's stock."""
        self.books = await workload.audit_books(target, [])
        if self.books.violations:
            seed = f"a running system needs INVENTORY_SEED={PRODUCT}={SEED_STOCK}"
            found = "; ".join(workload.summary(self.books.violations))
            raise Imbalanced(f"before the first saga ({seed}): {found}")

    async def point(self, target: Target, concurrency: int, sagas: int, role: str) -> Point:
        point = await workload.run(
            target, self.workflow, concurrency, sagas, client=self.options.client, before=self.books
        )
        self.books = point.books.audit
        if not point.books.ok:
            say(report.table(point, None, self.machine))
            raise Imbalanced("; ".join(point.books.summary()))
        if role != "warmup":
            self.runs.append((role, point))
        return point

    async def measure(self, target: Target) -> None:
        options = self.options
        await self.open_books(target)
        if options.warmup:  # fills the pools and connections, so the first point does not pay for them
            await self.point(target, options.concurrency, options.warmup, "warmup")
        if options.main:
            point = await self.point(target, options.concurrency, options.sagas, "main")
            say(report.table(point, self.ceiling, self.machine))
        if options.sweep:
            say(report.sweep_header())
            for concurrency in options.sweep_points:
                point = await self.point(target, concurrency, options.sweep_size(concurrency), "sweep")
                say(report.sweep_line(point))

    async def measure_ceiling(self) -> None:
        options = self.options
        if options.ceiling_seconds <= 0:
            return
        say(f"measuring the ceiling: {options.concurrency} clients, {options.ceiling_seconds:.0f} s each")
        self.ceiling = await ceilings.measure(
            options.postgres_url,
            options.amqp_url,
            options.prefix,
            options.concurrency,
            options.ceiling_seconds,
        )

    def write(self) -> None:
        sweep = [point for role, point in self.runs if role == "sweep"]
        if not sweep:
            return  # a main-only run leaves the published sweep alone
        out = self.options.out_dir
        bound = sweep[0].cost.bound(self.ceiling) if self.ceiling else None
        results.write(out / "results.json", self.machine, self.ceiling, self.runs)
        chart.draw(out / "throughput-latency.png", self.machine, sweep, bound)
        say(f"wrote {out}/results.json and {out}/throughput-latency.png")


async def bench(options: Options) -> None:
    """Raises Imbalanced at the first point whose books do not balance."""
    busy = os.getloadavg()[0]
    if busy > BUSY_LOAD_AVERAGE:
        say(f"warning: load average {busy:.2f} before starting; other work on this machine skews the results")
    session = Session(options)
    await session.measure_ceiling()
    for replicas in (len(options.urls),) if options.urls else options.orchestrators:
        async with _system(options, replicas) as target:
            await session.measure(target)
    session.write()
