"""A saga as the orchestrator reads it back from storage, after a restart or from another replica."""

import json
from collections.abc import Iterable
from dataclasses import replace

from saga_orchestrator.engine.state import Kind, Saga, StepRun


def read_back(saga: Saga, rows: Iterable[StepRun]) -> Saga:
    """The fields of its row as the last decision left them, and its step rows as the decisions wrote
    them, in the order persistence.steps.READ gives them (when they began, then by place, forward
    first) rather than the one they were added in, their JSON columns decoded afresh."""
    runs = sorted(rows, key=lambda run: (run.started_at, run.step, run.kind is Kind.COMPENSATION))
    return replace(
        saga,
        input=json.loads(json.dumps(saga.input)),
        runs=tuple(replace(run, result=json.loads(json.dumps(run.result))) for run in runs),
    )
