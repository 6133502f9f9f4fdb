"""The orchestrator's Prometheus metrics of what its sagas do, taken from the decisions it writes.

Per replica: each counts the decisions it wrote, and a decision is written once, by one replica (the
version check refuses the others), so `sum` across replicas counts each saga, step and retry once.
A decision is observed from what the runner already holds: no read, no clock but the decision's.
"""

from datetime import datetime

from prometheus_client import Counter, Histogram

from saga_orchestrator.engine.definition import TERMINAL
from saga_orchestrator.engine.machine import Engine
from saga_orchestrator.engine.state import Decision, Kind, RecordType, RunStatus, Saga
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
_RUNNING = RunStatus.RUNNING
_LABELS = {Kind.FORWARD: FORWARD, Kind.COMPENSATION: COMPENSATION}  # a run's kind, as the metrics name it


def started(workflow: str) -> None:
    STARTED_BY(workflow).inc()


def observe(
    before: Saga,
    decision: Decision,
    now: datetime,
    started_at: datetime | None,
    engine: Engine,
) -> None:
    """Counts what the decision, taken on `before` at `now`, did: a reply or timeout ends an attempt
    of the run it names, timed from that attempt's send; a command past its first attempt is a retry;
    a terminal state finishes the saga (started at `started_at`, where the runner knows it).

    Called for every decision a replica writes, so it does the least it can: a run is looked up only
    for a reply or a timeout, and everything else is a check of the record's type."""
    workflow = before.workflow
    for record in decision.records:
        kind = record.type
        if kind is _COMMAND:
            if record.attempt is not None and record.attempt > 1:
                STEP_RETRIES_BY(workflow, record.step or "").inc()
        elif kind is _REPLY or kind is _TIMEOUT:
            placed = engine.run_of(record.command or "")
            if placed is None:
                continue
            place, run_kind = placed
            run = before.run(place, run_kind)
            # A late reply to an attempt already given up (the run waits to send again) has no send
            # time left to time it from.
            if run is None or run.status is not _RUNNING or run.deadline is None:
                continue
            # The run's deadline less the step's timeout is when the attempt went out.
            took = (now - run.deadline).total_seconds() + engine.timeout(place)
            outcome = TIMEOUT if kind is _TIMEOUT else SUCCESS if record.success else FAILURE
            STEP_DURATION_BY(workflow, record.step or "", _LABELS[run_kind], outcome).observe(took)
        elif kind is _STATE and record.state in TERMINAL:
            FINISHED_BY(workflow, record.state).inc()
            if started_at is not None:
                DURATION_BY(workflow, record.state).observe((now - started_at).total_seconds())
