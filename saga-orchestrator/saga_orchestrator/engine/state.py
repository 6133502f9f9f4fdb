"""What the engine knows of one saga, and what a decision produces: history records and commands."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from saga_orchestrator.engine.definition import COMPENSATION_FAILED, COMPLETION_FAILED

T = TypeVar("T")


def evolve(frozen: T, **changes: Any) -> T:
    """A copy of a frozen dataclass with `changes`: what dataclasses.replace does, without its
    per-field introspection, which a decision (several copies of the saga and its runs, on every
    reply) would otherwise spend most of its time in. Only for the state's own classes, which check
    nothing on construction."""
    copy = object.__new__(type(frozen))
    copy.__dict__.update(frozen.__dict__, **changes)
    return copy


class Phase(StrEnum):
    FORWARD = "FORWARD"
    COMPENSATING = "COMPENSATING"
    PARKED = "PARKED"  # a step that may not be given up ran out of attempts; waits for an operator
    DONE = "DONE"


class Awaiting(StrEnum):
    REPLY = "REPLY"  # a command is out; wake_at is its deadline
    RETRY = "RETRY"  # the last attempt failed or timed out; wake_at is when to send again
    NOTHING = "NOTHING"


class Kind(StrEnum):
    FORWARD = "FORWARD"
    COMPENSATION = "COMPENSATION"


class RunStatus(StrEnum):
    RUNNING = "RUNNING"  # its command is out; the deadline is the reply's
    RETRYING = "RETRYING"  # its last attempt failed or timed out; the deadline is when to send again
    PARKED = "PARKED"  # out of attempts and not to be given up, waiting for an operator
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"  # unanswered; a forward step is compensated all the same, as it may have run
    ABANDONED = "ABANDONED"  # the saga stopped going forward while it waited to send again
    SKIPPED = "SKIPPED"  # its condition did not hold: never sent, never compensated


# The forward runs whose command may have taken effect: each is compensated.
MAY_HAVE_RUN = frozenset((RunStatus.SUCCEEDED, RunStatus.TIMED_OUT, RunStatus.ABANDONED))


OPEN = frozenset((RunStatus.RUNNING, RunStatus.RETRYING, RunStatus.PARKED))


@dataclass(frozen=True)
class StepRun:
    """One execution of a step, forward or compensating, with its own attempts and deadline; a
    saga's runs are keyed by (step, kind), and several may be open at once."""

    step: int  # the step's place in the saga's workflow version
    kind: Kind
    attempt: int  # the command's sends so far
    status: RunStatus
    deadline: datetime | None  # a reply's deadline or a retry's time, while it has one
    started_at: datetime
    finished_at: datetime | None = None
    result: dict[str, Any] | None = None
    error: str | None = None  # of the latest attempt

    @property
    def open(self) -> bool:
        return self.status in OPEN


_AWAITING = {RunStatus.RUNNING: Awaiting.REPLY, RunStatus.RETRYING: Awaiting.RETRY}


@dataclass(frozen=True)
class Saga:
    saga_id: UUID
    workflow: str
    input: dict[str, Any]
    phase: Phase
    progress: str  # the last workflow state reached
    runs: tuple[StepRun, ...] = ()  # every step execution so far, in the order they began
    workflow_version: int = 1  # the definition it runs on, from start to end
    outcome: str | None = None  # COMPLETED, FAILED or CANCELLED, once decided
    failed_step: str | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        if self.phase is Phase.DONE and self.outcome:
            return self.outcome
        if self.phase is Phase.PARKED:
            parked = [run for run in self.runs if run.status is RunStatus.PARKED]
            forward = parked and all(run.kind is Kind.FORWARD for run in parked)
            return COMPLETION_FAILED if forward else COMPENSATION_FAILED
        return self.progress

    @property
    def active(self) -> bool:
        return self.phase in (Phase.FORWARD, Phase.COMPENSATING)

    @property
    def open_runs(self) -> tuple[StepRun, ...]:
        return tuple(run for run in self.runs if run.status in OPEN)

    @property
    def current(self) -> StepRun | None:
        """The step execution the saga works on: the newest open one."""
        return next((run for run in reversed(self.runs) if run.status in OPEN), None)

    def run(self, step: int, kind: Kind) -> StepRun | None:
        return next((run for run in self.runs if run.step == step and run.kind is kind), None)

    @property
    def step(self) -> int:
        return self.current.step if self.current else 0

    @property
    def attempt(self) -> int:
        return self.current.attempt if self.current else 0

    @property
    def awaiting(self) -> Awaiting:
        return _AWAITING.get(self.current.status, Awaiting.NOTHING) if self.current else Awaiting.NOTHING

    @property
    def wake_at(self) -> datetime | None:
        """The earliest deadline or retry time of its open steps."""
        return min((run.deadline for run in self.runs if run.deadline), default=None)

    @property
    def last_error(self) -> str | None:
        """The latest attempt's error, while its step is open."""
        return self.current.error if self.current else None


class RecordType(StrEnum):
    STATE = "STATE"
    COMMAND = "COMMAND"
    REPLY = "REPLY"
    TIMEOUT = "TIMEOUT"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    RESUMED = "RESUMED"
    SKIPPED = "SKIPPED"


@dataclass(frozen=True)
class Record:
    """One history entry."""

    type: RecordType
    state: str | None = None
    step: str | None = None
    service: str | None = None
    command: str | None = None
    attempt: int | None = None
    success: bool | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    actor: str | None = None  # who asked, for a cancel or a resume


@dataclass(frozen=True)
class Dispatch:
    """A command to send; its step id names the action, so retries reuse the same message id."""

    service: str
    command: str
    deadline: datetime
    payload: dict[str, Any]
    attempt: int  # the command's sends so far, this one included

    @property
    def step_id(self) -> str:
        return self.command


@dataclass(frozen=True)
class Decision:
    saga: Saga
    records: list[Record] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    steps: list[StepRun] = field(default_factory=list)  # the executions it started, changed or ended
