"""A whole `make bench`: the machine's ceiling, then for each replica count a fresh system, the main
workload and the sweep over concurrency; the results as JSON and a chart once the sweep ran."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ops.bench import ceiling as ceilings
from ops.bench import chart, report, results, workload
from ops.bench.ceiling import Ceiling, SagaCost
from ops.bench.machine import Machine, this_machine
from ops.bench.options import FAIL_EVERY, Options
from ops.bench.stack import Target, fresh_system, running_system
from ops.bench.workload import Point

Runs = list[tuple[str, Point]]  # (role: "warmup", "main" or "sweep", the point)


class Imbalanced(Exception):
    """The books do not balance: the bench stops and leaves the databases to look at."""


def say(line: str) -> None:
    print(line, flush=True)


@asynccontextmanager
async def _system(options: Options, replicas: int) -> AsyncIterator[Target]:
    if options.urls:
        yield running_system(options)
        return
    say(f"starting the system: {replicas} orchestrator(s), namespace {options.prefix!r}")
    async with fresh_system(options, replicas) as target:
        yield target


async def _point(target: Target, concurrency: int, sagas: int, role: str, runs: Runs) -> Point:
    point = await workload.run(target, concurrency, sagas)
    runs.append((role, point))
    if not point.books.ok:
        say(report.table(point, None, this_machine()))
        raise Imbalanced("; ".join(point.books.summary()))
    return point


async def _measure(target: Target, options: Options, ceiling: Ceiling | None, machine: Machine) -> Runs:
    runs: Runs = []
    if options.warmup:  # fills the pools and connections, so the first point does not pay for them
        await _point(target, options.concurrency, options.warmup, "warmup", runs)
    if options.main:
        point = await _point(target, options.concurrency, options.sagas, "main", runs)
        say(report.table(point, ceiling, machine))
    if options.sweep:
        say(report.sweep_header())
        for concurrency in options.sweep_points:
            point = await _point(target, concurrency, options.sweep_size(concurrency), "sweep", runs)
            say(report.sweep_line(point))
    return [(role, point) for role, point in runs if role != "warmup"]


async def _ceiling(options: Options) -> Ceiling | None:
    if options.ceiling_seconds <= 0:
        return None
    say(f"measuring the ceiling: {options.concurrency} clients, {options.ceiling_seconds:.0f} s each")
    ceiling = await ceilings.measure(
        options.postgres_url, options.amqp_url, options.prefix, options.concurrency, options.ceiling_seconds
    )
    say(
        f"ceiling: {ceiling.pg_commits_per_s:.0f} commits/s,"
        f" {ceiling.mq_published_per_s:.0f} msgs/s published, {ceiling.mq_consumed_per_s:.0f} msgs/s consumed"
    )
    return ceiling


async def bench(options: Options) -> None:
    """Raises Imbalanced at the first point whose books do not balance."""
    machine = this_machine()
    ceiling = await _ceiling(options)
    runs: Runs = []
    for replicas in (len(options.urls),) if options.urls else options.orchestrators:
        async with _system(options, replicas) as target:
            runs += await _measure(target, options, ceiling, machine)
    sweep = [point for role, point in runs if role == "sweep"]
    if sweep:
        bound = SagaCost.of_mix(1 / FAIL_EVERY).bound(ceiling) if ceiling else None
        results.write(options.out_dir / "results.json", machine, ceiling, runs)
        chart.draw(options.out_dir / "throughput-latency.png", machine, sweep, bound)
        say(f"wrote {options.out_dir}/results.json and {options.out_dir}/throughput-latency.png")
