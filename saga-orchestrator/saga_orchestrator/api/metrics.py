"""`GET /metrics` for Prometheus: this replica's counters, and the database's gauges read at scrape time.

The gauges (`saga_in_flight`, `saga_outbox_pending`, `saga_outbox_oldest_age_seconds`) describe
the shared database, not the replica: every replica reports the same value, so aggregate them with
`max`, never `sum`. Everything else counts what this replica did: `sum` adds the replicas up.
Open to anyone, like the health checks: it holds counts, no saga's data; and however often it is
asked, it reads the database at most once a second.
"""

import asyncio
import math
import time

import asyncpg
from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

from saga_orchestrator import workflows
from saga_orchestrator.api.deps import PoolDep
from saga_orchestrator.engine.state import Phase
from saga_orchestrator.persistence import gauges

IN_FLIGHT = Gauge(
    "saga_in_flight", "Sagas not finished, from the database (same on every replica)", ["workflow", "phase"]
)
OUTBOX_PENDING = Gauge("saga_outbox_pending", "Commands committed, not yet published (from the database)")
OUTBOX_OLDEST_AGE = Gauge(
    "saga_outbox_oldest_age_seconds", "Age of the oldest unpublished command (from the database)"
)
# A saga is in flight until it is done; a parked one waits for an operator.
PHASES = (Phase.FORWARD, Phase.COMPENSATING, Phase.PARKED)

MAX_AGE_SECONDS = 1.0

router = APIRouter()


class _DatabaseGauges:
    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._read_at = -math.inf

    async def refresh(self, pool: asyncpg.Pool) -> None:
        """Reads the gauges, unless they were read within the last MAX_AGE_SECONDS: scrapes that
        come together share one read."""
        async with self._lock:
            if time.monotonic() - self._read_at < MAX_AGE_SECONDS:
                return
            backlog = await gauges.read(pool)
            self._read_at = time.monotonic()
            for workflow in workflows.current():
                for phase in PHASES:
                    in_flight = backlog.in_flight.get((workflow, phase), 0)
                    IN_FLIGHT.labels(workflow, phase.lower()).set(in_flight)
            OUTBOX_PENDING.set(backlog.outbox_pending)
            OUTBOX_OLDEST_AGE.set(backlog.outbox_oldest_age_seconds)


_database = _DatabaseGauges()


@router.get("/metrics", include_in_schema=False)
async def metrics(pool: PoolDep) -> Response:
    await _database.refresh(pool)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
