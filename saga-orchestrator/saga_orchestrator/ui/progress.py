"""A saga's steps and timeline as the dashboard draws them, derived from its definition and history.

Pure: no I/O, so each mark is tested from a history alone.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from saga_orchestrator.api.condition_view import as_text
from saga_orchestrator.engine.definition import COMPENSATION_FAILED, COMPLETION_FAILED, StepKind, Workflow
from saga_orchestrator.engine.state import RecordType

Event = Mapping[str, Any]  # a saga_events row
PARKED = frozenset((COMPENSATION_FAILED, COMPLETION_FAILED))  # the states of a saga parked at a step


class Mark(StrEnum):
    PENDING = "pending"  # not reached yet
    RUNNING = "running"  # its command, or its compensation, is out or to be sent again
    DONE = "done"
    FAILED = "failed"  # its command failed, or it or its compensation ran out of attempts
    COMPENSATED = "compensated"
    SKIPPED = "skipped"  # its condition did not hold, or the saga ended before it


@dataclass(frozen=True)
class StepView:
    name: str
    service: str
    compensation: str | None  # a pivot and a retriable step have none
    kind: StepKind
    when: str | None  # its condition, as text
    mark: Mark
    compensating: bool  # the mark is of its compensation


@dataclass(frozen=True)
class StageView:
    """One step, or a parallel group's steps, sent together."""

    steps: list[StepView]

    @property
    def parallel(self) -> bool:
        return len(self.steps) > 1


def stages(workflow: Workflow, events: Sequence[Event], finished: bool) -> list[StageView]:
    """The definition's stages, each step marked."""
    marked = steps(workflow, events, finished)
    return [StageView([marked[place] for place in places]) for places in workflow.stages]


def steps(workflow: Workflow, events: Sequence[Event], finished: bool) -> list[StepView]:
    """Each step of the definition, marked by the last thing the history says of it."""
    marks: dict[str, tuple[Mark, bool]] = {}
    compensations = {step.compensation.command for step in workflow.steps if step.compensation}
    for event in events:
        step, compensating = event["step"], event["command"] in compensations
        if step is None:
            continue
        mark = _mark(event, compensating)
        if mark is not None:
            marks[step] = (mark, compensating or event["state"] == COMPENSATION_FAILED)
    untouched = Mark.SKIPPED if finished else Mark.PENDING
    return [
        StepView(
            s.name,
            s.service,
            s.compensation.command if s.compensation else None,
            s.kind,
            None if s.when is None else as_text(s.when),
            *marks.get(s.name, (untouched, False)),
        )
        for s in workflow.steps
    ]


def _mark(event: Event, compensating: bool) -> Mark | None:
    kind = event["type"]
    if kind in (RecordType.COMMAND, RecordType.RETRY_SCHEDULED):
        return Mark.RUNNING
    if kind == RecordType.REPLY and event["success"]:
        return Mark.COMPENSATED if compensating else Mark.DONE
    if kind == RecordType.REPLY and not compensating:
        return Mark.FAILED
    if kind == RecordType.SKIPPED:
        return Mark.SKIPPED
    if kind == RecordType.STATE and event["state"] in PARKED:
        return Mark.FAILED
    return None


@dataclass(frozen=True)
class Entry:
    """One event of the timeline; `took_ms` is the time from its command to this reply or timeout,
    `replica` the orchestrator that handled it (None for events from before replicas were named)."""

    at: datetime
    type: str
    state: str | None
    step: str | None
    service: str | None
    command: str | None
    attempt: int | None
    outcome: str | None
    error: str | None
    actor: str | None
    replica: str | None
    took_ms: float | None


def timeline(events: Sequence[Event]) -> list[Entry]:
    sent: dict[tuple[str, int], datetime] = {}  # (command, attempt) -> when it was sent
    entries = []
    for event in events:
        kind, sent_at = event["type"], None
        if event["command"] is not None:
            attempt = (event["command"], event["attempt"] or 0)
            if kind == RecordType.COMMAND:
                sent[attempt] = event["at"]
            elif kind in (RecordType.REPLY, RecordType.TIMEOUT):
                sent_at = sent.get(attempt)
        took = None if sent_at is None else (event["at"] - sent_at).total_seconds() * 1000
        entries.append(
            Entry(
                at=event["at"],
                type=kind,
                state=event["state"],
                step=event["step"],
                service=event["service"],
                command=event["command"],
                attempt=event["attempt"],
                outcome=_outcome(event),
                error=event["error"],
                actor=event["actor"],
                replica=event["replica"],
                took_ms=took,
            )
        )
    return entries


def _outcome(event: Event) -> str | None:
    if event["type"] != RecordType.REPLY:
        return None
    return "ok" if event["success"] else "failed"
