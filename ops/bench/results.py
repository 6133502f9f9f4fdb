"""The results as JSON (docs/bench/results.json), for the chart and for comparing runs later."""

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ops.bench.ceiling import Ceiling
from ops.bench.machine import Machine
from ops.bench.workload import Point
from shared import json


def point_record(role: str, point: Point, ceiling: Ceiling | None) -> dict[str, Any]:
    bound = point.cost.bound(ceiling) if ceiling else None
    return {
        "role": role,
        "workflow": point.workflow,
        "orchestrators": point.orchestrators,
        "concurrency": point.concurrency,
        "sagas": point.sagas,
        **asdict(point.timings),
        "share_of_ceiling": point.timings.per_second / bound if bound else None,
        "status_requests_per_saga": point.status_requests_per_saga,
        "machine_cpu_ms_per_saga": point.machine_cpu_seconds * 1000 / point.sagas,
        "write_transactions_per_saga": point.write_transactions_per_saga,
        "in_flight": point.timings.in_flight,
        "http_errors": point.http_errors,
        "balanced": point.books.ok,
        "statuses": dict(point.books.statuses),
        "problems": point.books.summary(),
        "processes": [
            {
                "name": usage.name,
                "processes": usage.processes,
                "cpu_ms_per_saga": point.cpu_ms_per_saga(usage),
                "cores": point.cores(usage),
                "peak_mb": usage.peak_mb,
            }
            for usage in point.usage
        ],
    }


def write(
    path: Path, machine: Machine, ceiling: Ceiling | None, runs: list[tuple[str, Point]]
) -> dict[str, Any]:
    cost = runs[0][1].cost if runs else None
    document = {
        "machine": asdict(machine),
        "ceiling": asdict(ceiling) if ceiling else None,
        "saga_cost": asdict(cost) if cost else None,
        "ceiling_sagas_per_s": cost.bound(ceiling) if cost and ceiling else None,
        "runs": [point_record(role, point, ceiling) for role, point in runs],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(document) + b"\n")
    return document
