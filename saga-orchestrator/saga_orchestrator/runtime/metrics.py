"""The orchestrator's Prometheus metrics of what its sagas do, taken from the decisions it writes.

Per replica: each counts the decisions it wrote, and a decision is written once, by one replica (the
version check refuses the others), so `sum` across replicas counts each saga, step and retry once.
A decision is observed from what the runner already holds: no read, no clock but the decision's.
"""

from datetime import datetime

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

STARTED_BY, FINISHED_BY, DURATION_BY = Children(STARTED), Children(FINISHED), Children(DURATION)
STEP_DURATION_BY, STEP_RETRIES_BY = Children(STEP_DURATION), Children(STEP_RETRIES)

FORWARD, COMPENSATION = "forward", "compensation"
SUCCESS, FAILURE, TIMEOUT = "success", "failure", "timeout"
# Bound once: looking a member up on its enum costs more than the rest of a record's check.
_COMMAND, _STATE = RecordType.COMMAND, RecordType.STATE
_REPLY, _TIMEOUT = RecordType.REPLY, RecordType.TIMEOUT


def started(workflow: str) -> None:
    STARTED_BY(workflow).inc()


def observe(
    before: Saga, decision: Decision, now: datetime, started_at: datetime | None, timeout: float
) -> None:
    """Counts what the decision, taken on `before` at `now`, did: a reply or timeout ends the step
    that was out (sent `timeout` before its deadline), a command past its first attempt is a retry,
    a terminal state finishes the saga (started at `started_at`, where the runner knows it).

    Called for every decision a replica writes, so it does the least it can: the step's send time
    is worked out once, and only for a decision that ends a step."""
    workflow = before.workflow
    took: float | None = None  # seconds from the ended step's send to `now`
    for record in decision.records:
        kind = record.type
        if kind is _COMMAND:
            if record.attempt is not None and record.attempt > 1:
                STEP_RETRIES_BY(workflow, record.step or "").inc()
        elif kind is _REPLY or kind is _TIMEOUT:
            if took is None:
                if (deadline := before.wake_at) is None:
                    continue
                took = (now - deadline).total_seconds() + timeout
            phase = FORWARD if before.phase is Phase.FORWARD else COMPENSATION
            outcome = TIMEOUT if kind is _TIMEOUT else SUCCESS if record.success else FAILURE
            STEP_DURATION_BY(workflow, record.step or "", phase, outcome).observe(took)
        elif kind is _STATE and record.state in TERMINAL:
            FINISHED_BY(workflow, record.state).inc()
            if started_at is not None:
                DURATION_BY(workflow, record.state).observe((now - started_at).total_seconds())
