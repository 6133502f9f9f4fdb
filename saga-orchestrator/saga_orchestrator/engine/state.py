"""What the engine knows of one saga, and what a decision produces: history records and commands."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from saga_orchestrator.engine.definition import COMPENSATION_FAILED


class Phase(StrEnum):
    FORWARD = "FORWARD"
    COMPENSATING = "COMPENSATING"
    PARKED = "PARKED"  # compensation attempts ran out; waits for an operator's retry
    DONE = "DONE"


class Awaiting(StrEnum):
    REPLY = "REPLY"  # a command is out; wake_at is its deadline
    RETRY = "RETRY"  # the last attempt failed or timed out; wake_at is when to send again
    NOTHING = "NOTHING"


@dataclass(frozen=True)
class Saga:
    saga_id: UUID
    workflow: str
    input: dict[str, Any]
    phase: Phase
    progress: str  # the last workflow state reached
    step: int  # the step whose command (or compensation) is out
    attempt: int
    awaiting: Awaiting
    wake_at: datetime | None
    workflow_version: int = 1  # the definition it runs on, from start to end
    outcome: str | None = None  # COMPLETED, FAILED or CANCELLED, once decided
    failed_step: str | None = None
    error: str | None = None
    last_error: str | None = None  # of the latest attempt, while retrying

    @property
    def status(self) -> str:
        if self.phase is Phase.DONE and self.outcome:
            return self.outcome
        if self.phase is Phase.PARKED:
            return COMPENSATION_FAILED
        return self.progress

    @property
    def active(self) -> bool:
        return self.phase in (Phase.FORWARD, Phase.COMPENSATING)


class RecordType(StrEnum):
    STATE = "STATE"
    COMMAND = "COMMAND"
    REPLY = "REPLY"
    TIMEOUT = "TIMEOUT"
    RETRY_SCHEDULED = "RETRY_SCHEDULED"
    CANCEL_REQUESTED = "CANCEL_REQUESTED"
    RESUMED = "RESUMED"


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
