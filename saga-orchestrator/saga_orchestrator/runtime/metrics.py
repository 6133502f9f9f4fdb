"""The orchestrator's Prometheus metrics of what its sagas do, taken from the decisions it writes.

Per replica: each counts the decisions it wrote, and a decision is written once, by one replica (the
version check refuses the others), so `sum` across replicas counts each saga, step and retry once.
A decision is observed from what the runner already holds: no read, no clock but the decision's.
"""

from datetime import datetime, timedelta

from prometheus_client import Counter, Histogram

from saga_orchestrator.engine.definition import TERMINAL
from saga_orchestrator.engine.state import Decision, Phase, RecordType, Saga
from shared.metrics import LATENCY_BUCKETS, Children

STARTED = Counter("saga_started", "Sagas started", ["workflow"])
FINISHED = Counter("saga_finished", "Sagas that reached a terminal status", ["workflow", "status"])
DURATION = Histogram(
    "saga_duration_seconds",
    "From a saga's start to its terminal status",
    ["workflow", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800),
)
STEP_DURATION = Histogram(
    "saga_step_duration_seconds",
    "From a command's send to its reply or its timeout",
    ["workflow", "step", "kind", "outcome"],
    buckets=(*LATENCY_BUCKETS, 30),
)
STEP_RETRIES = Counter(
    "saga_step_retries", "Commands sent again after a failure or timeout", ["workflow", "step"]
)

STEP_DURATION_BY, STEP_RETRIES_BY = Children(STEP_DURATION), Children(STEP_RETRIES)

FORWARD, COMPENSATION = "forward", "compensation"
SUCCESS, FAILURE, TIMEOUT = "success", "failure", "timeout"


def started(workflow: str) -> None:
    STARTED.labels(workflow).inc()


def observe(
    before: Saga, decision: Decision, now: datetime, started_at: datetime | None, timeout: float
) -> None:
    """Counts what the decision, taken on `before` at `now`, did: a reply or timeout ends the step
    that was out (sent `timeout` before its deadline), a command past its first attempt is a retry,
    a terminal state finishes the saga (started at `started_at`, where the runner knows it)."""
    workflow = before.workflow
    for record in decision.records:
        if record.type in (RecordType.REPLY, RecordType.TIMEOUT) and before.wake_at is not None:
            sent = before.wake_at - timedelta(seconds=timeout)
            kind = FORWARD if before.phase is Phase.FORWARD else COMPENSATION
            outcome = TIMEOUT if record.type is RecordType.TIMEOUT else SUCCESS if record.success else FAILURE
            STEP_DURATION_BY(workflow, record.step or "", kind, outcome).observe((now - sent).total_seconds())
        elif record.type is RecordType.COMMAND and (record.attempt or 0) > 1:
            STEP_RETRIES_BY(workflow, record.step or "").inc()
        elif record.type is RecordType.STATE and record.state in TERMINAL:
            FINISHED.labels(workflow, record.state).inc()
            if started_at is not None:
                DURATION.labels(workflow, record.state).observe((now - started_at).total_seconds())
