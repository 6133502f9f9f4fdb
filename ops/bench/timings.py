"""Throughput and latency from the orchestrator's own timestamps, not from the load generator's requests."""

import math
from dataclasses import dataclass

from ops.audit import fetch
from ops.bench.stack import Target
from ops.system import ORCHESTRATOR

TIMES = """
SELECT created_at, finished_at FROM sagas
WHERE saga_key = ANY($1::text[]) AND finished_at IS NOT NULL
"""


@dataclass(frozen=True)
class Timings:
    sagas: int  # finished ones: the rest show up in the audit
    seconds: float  # first start to last terminal state
    per_second: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def in_flight(self) -> float:
        """Sagas the system held on average (Little's law); below C by the HTTP around each saga."""
        return self.per_second * self.mean_ms / 1000


def percentile(ordered: list[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of them at or below it."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def read(target: Target, order_ids: list[str]) -> Timings:
    rows = await fetch(target.config, ORCHESTRATOR, TIMES, order_ids)
    if not rows:
        return Timings(0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    latencies = sorted((r["finished_at"] - r["created_at"]).total_seconds() * 1000 for r in rows)
    span = (max(r["finished_at"] for r in rows) - min(r["created_at"] for r in rows)).total_seconds()
    return Timings(
        sagas=len(rows),
        seconds=span,
        per_second=len(rows) / span if span > 0 else 0.0,
        mean_ms=sum(latencies) / len(latencies),
        p50_ms=percentile(latencies, 0.50),
        p95_ms=percentile(latencies, 0.95),
        p99_ms=percentile(latencies, 0.99),
        max_ms=latencies[-1],
    )
