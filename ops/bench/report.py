"""The printed results: one table per measured workload, and one line per point of the sweep."""

from ops.bench.ceiling import Ceiling
from ops.bench.machine import Machine
from ops.bench.resources import LOAD_GENERATOR
from ops.bench.workload import Point, counts
from ops.traffic import FAIL_QUANTITY

RULE = "─" * 78


def replicas(n: int) -> str:
    return f"{n} orchestrator{'s' if n > 1 else ''}"


def _ceiling_lines(point: Point, ceiling: Ceiling | None) -> list[str]:
    if ceiling is None:
        return []
    cost = point.cost
    bound = cost.bound(ceiling)
    share = point.timings.per_second / bound if bound else 0.0
    return [
        f"{'ceiling: postgres':<30}{ceiling.pg_commits_per_s:>8.0f} commits/s"
        f" ({ceiling.pg_connections} connections)"
        f" / {cost.commits:.1f} per saga = {ceiling.pg_commits_per_s / cost.commits:.0f} sagas/s",
        f"{'ceiling: rabbitmq':<30}{ceiling.mq_published_per_s:>8.0f} msgs/s published"
        f" ({ceiling.mq_publishers} publishers; {ceiling.mq_consumed_per_s:.0f}/s consumed)"
        f" / {cost.messages:.1f} per saga = {ceiling.mq_published_per_s / cost.messages:.0f} sagas/s",
        f"{'share of the ceiling':<30}{share:>8.0%} of {bound:.0f} sagas/s",
    ]


def _writes_line(point: Point) -> str:
    alone = point.cost.commits
    return (
        f"{'postgres write transactions':<30}{point.write_transactions_per_saga:>8.2f} per saga"
        f" (commits shared by batches; {alone:.1f} if each served one saga)"
    )


def _process_lines(point: Point) -> list[str]:
    lines = [f"{'process':<30}{'CPU ms/saga':>12}{'cores':>8}{'peak MB':>10}"]
    for usage in point.usage:
        name = usage.name if usage.processes == 1 else f"{usage.name} ({usage.processes} procs)"
        lines.append(
            f"{name:<30}{point.cpu_ms_per_saga(usage):>12.2f}{point.cores(usage):>8.2f}{usage.peak_mb:>10.1f}"
        )
    total = sum(u.cpu_seconds for u in point.usage)
    lines.append(
        f"{'total of the above':<30}{total * 1000 / point.sagas:>12.2f}{total / point.load_seconds:>8.2f}"
    )
    machine = point.machine_cpu_seconds
    lines.append(
        f"{'machine (kernel, all procs)':<30}{machine * 1000 / point.sagas:>12.2f}"
        f"{machine / point.load_seconds:>8.2f}"
    )
    return lines


def _books_line(point: Point) -> str:
    books = point.books
    verdict = "balanced" if books.ok else "IMBALANCED: " + "; ".join(books.summary())
    return f"{'books':<30}{verdict}: {counts(books.statuses)}; stock taken {books.stock_taken}"


def table(point: Point, ceiling: Ceiling | None, machine: Machine) -> str:
    t = point.timings
    failing = round(point.sagas * point.failure_share)
    lines = [
        RULE,
        f"Saga benchmark, {machine.describe()}",
        f"{point.sagas} {point.workflow} sagas ({point.sagas - failing} complete, {failing} fail at shipping"
        f" with quantity {FAIL_QUANTITY}), {point.concurrency} in flight, {replicas(point.orchestrators)}",
        RULE,
        f"{'throughput':<30}{t.per_second:>8.1f} sagas/s ({t.sagas} sagas in {t.seconds:.2f} s,"
        " first start to last end, orchestrator timestamps)",
        f"{'latency p50 / p95 / p99 / max':<30}{t.p50_ms:>8.1f} / {t.p95_ms:.1f} / {t.p99_ms:.1f}"
        f" / {t.max_ms:.1f} ms",
        *_ceiling_lines(point, ceiling),
        _writes_line(point),
        f"{'in flight in the system':<30}{t.in_flight:>8.1f} on average (Little's law),"
        f" of {point.concurrency} held by the load generator",
        f"{LOAD_GENERATOR:<30}{point.client}, {point.status_requests_per_saga:.2f} status requests/saga,"
        f" {point.http_errors} HTTP errors"
        f" (sampler thread {point.sampler_cpu_seconds * 1000 / point.sagas:.2f} ms/saga, not counted)",
        RULE,
        *_process_lines(point),
        RULE,
        _books_line(point),
        RULE,
    ]
    return "\n".join(lines)


def sweep_header() -> str:
    columns = ("p50 ms", "p95 ms", "p99 ms", "max ms")
    return f"{'replicas':>8}{'C':>6}{'sagas':>7}{'sagas/s':>9}{''.join(f'{c:>8}' for c in columns)}  books"


def sweep_line(point: Point) -> str:
    t = point.timings
    books = "balanced" if point.books.ok else "IMBALANCED"
    return (
        f"{point.orchestrators:>8}{point.concurrency:>6}{point.sagas:>7}{t.per_second:>9.1f}"
        f"{t.p50_ms:>8.1f}{t.p95_ms:>8.1f}{t.p99_ms:>8.1f}{t.max_ms:>8.1f}  {books}"
    )
