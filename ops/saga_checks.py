"""What one ended saga must have left behind, read from its own workflow's definition and history:
each service's row as its step ended, and a history that runs in order.

A step is held to its kind and to what the history says became of it: skipped, no row; the saga
completed, done; compensated, undone (or, where the compensation came first, the marker); neither,
no row, since it failed or was never sent. A pivot that succeeded leaves a saga that completes and
compensates nothing; every step of a completed saga, the retriable ones included, succeeded once.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ops import registry
from saga_orchestrator.engine.definition import COMPLETED, STARTED, Step, Workflow

NO_ROW: frozenset[str | None] = frozenset({None})


@dataclass
class SagaFindings:
    """What was wrong with one saga: its services' rows, and its history."""

    imbalances: list[str] = field(default_factory=list)
    broken_histories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Told:
    """What a saga's history says of its commands."""

    sent: frozenset[str]
    succeeded: Counter[str]  # successful replies, by command
    skipped: frozenset[str]

    @classmethod
    def of(cls, history: Sequence[Mapping[str, Any]]) -> "Told":
        def commands(kind: str) -> list[str]:
            return [e["command"] for e in history if e["type"] == kind]

        succeeded = Counter(e["command"] for e in history if e["type"] == "REPLY" and e["success"])
        return cls(frozenset(commands("COMMAND")), succeeded, frozenset(commands("SKIPPED")))


def check_saga(
    saga: Mapping[str, Any],
    workflow: Workflow,
    rows: Mapping[str, Mapping[UUID, str]],
    history: Sequence[Mapping[str, Any]],
) -> SagaFindings:
    """`saga` has ended; `rows` are each service's row statuses by saga id."""
    key, status = saga["saga_key"], saga["status"]
    told = Told.of(history)
    found = SagaFindings()
    for step in workflow.steps:
        row = rows[step.service].get(saga["saga_id"])
        if row not in expected_rows(step, status == COMPLETED, told):
            found.imbalances.append(f"{key} is {status} but its {step.service} row is {row}")
    found.imbalances += _past_the_pivot(key, status, workflow, told)
    found.broken_histories += _out_of_order(key, status, history)
    if status == COMPLETED:
        found.broken_histories += [
            f"{key}: {step.name} succeeded {told.succeeded[step.name]} times"
            for step in workflow.steps
            if step.name not in told.skipped and told.succeeded[step.name] != 1
        ]
    return found


def expected_rows(step: Step, completed: bool, told: Told) -> frozenset[str | None]:
    """The statuses the step's service may hold for the saga once it ended; None: no row."""
    books = registry.books(step.service)
    if step.name in told.skipped:
        return NO_ROW  # its condition did not hold: never sent
    if completed:
        return frozenset({books.done})
    if step.compensation is None or step.compensation.command not in told.sent:
        return NO_ROW  # it failed, or was never sent (a pivot or what follows it, in a saga that turned back)
    if step.name in told.succeeded:
        return frozenset({books.undone})
    return frozenset({books.undone, books.marker})  # unanswered: it ran and was undone, or never ran


def _past_the_pivot(key: str, status: str, workflow: Workflow, told: Told) -> list[str]:
    compensations = {step.compensation.command for step in workflow.steps if step.compensation}
    undone = sorted(told.sent & compensations)
    if status == COMPLETED and undone:
        return [f"{key} is COMPLETED but compensated {undone}"]
    pivot = None if workflow.pivot is None else workflow.steps[workflow.pivot].name
    if pivot is not None and told.succeeded[pivot] and status != COMPLETED:
        return [f"{key} is {status} after its pivot {pivot} succeeded (compensated {undone})"]
    return []


def _out_of_order(key: str, status: str, history: Sequence[Mapping[str, Any]]) -> list[str]:
    broken: list[str] = []
    seqs = [e["seq"] for e in history]
    states = [e["state"] for e in history if e["type"] == "STATE"]
    sent: set[str] = set()
    for event in history:
        if event["type"] == "COMMAND":
            sent.add(event["command"])
        elif event["type"] == "REPLY" and event["command"] not in sent:
            broken.append(f"{key}: reply to {event['command']} before it was sent")
    if seqs != list(range(1, len(seqs) + 1)):
        broken.append(f"{key}: sequence numbers {seqs}")
    if not states or states[0] != STARTED or states[-1] != status:
        broken.append(f"{key}: states {states} do not run from STARTED to {status}")
    return broken
