"""The step executions of sagas, as their statements read and write them: a decision's changed runs
go in as one more part of the statement that writes the saga, and a saga is read with its runs, in
the same statement as its row."""

from typing import Any
from uuid import UUID

from saga_orchestrator.engine.state import Kind, RunStatus, StepRun
from saga_orchestrator.schema import saga_steps
from shared import json
from shared.schema import names, typed

_COLUMNS = names(saga_steps)
_CHANGING = names(saga_steps, "saga_id", "step", "kind", "started_at")

# Upserted by their key, only for the sagas the statement wrote (`saga`, its first part): a saga
# whose version another writer changed keeps its runs as they were.
WRITE = f"""
steps AS (
    INSERT INTO saga_steps ({", ".join(_COLUMNS)})
    SELECT {", ".join(f"s.{name}" for name in _COLUMNS)}
    FROM jsonb_to_recordset($4::jsonb) AS s({typed(saga_steps)})
    WHERE s.saga_id IN (SELECT saga_id FROM saga)
    ON CONFLICT (saga_id, step, kind) DO UPDATE
    SET {", ".join(f"{name} = EXCLUDED.{name}" for name in _CHANGING)}
)"""

# A column of the saga's row: its runs, in the order they began. The engine needs the ended ones too:
# which to compensate, in what order, and the outputs later commands carry.
# The result as text: inside a row value, jsonb comes in its binary form, which the codec does not read.
_READ = (
    "step",
    "kind",
    "attempt",
    "status",
    "deadline",
    "started_at",
    "finished_at",
    "result::text",
    "error",
)
READ = f"""
ARRAY(SELECT ROW({", ".join(f"s.{name}" for name in _READ)}) FROM saga_steps s
      WHERE s.saga_id = sagas.saga_id ORDER BY s.started_at, s.step, s.kind DESC) AS runs"""


def rows(saga_id: UUID, runs: list[StepRun]) -> list[dict[str, Any]]:
    # vars(), not dataclasses.asdict(): no deep copy on the hot path.
    return [{**vars(run), "saga_id": saga_id} for run in runs]


def runs(read: list[tuple[Any, ...]]) -> tuple[StepRun, ...]:
    return tuple(
        StepRun(
            step,
            Kind(kind),
            attempt,
            RunStatus(status),
            deadline,
            started_at,
            finished_at,
            None if result is None else json.loads(result),
            error,
        )
        for step, kind, attempt, status, deadline, started_at, finished_at, result, error in read
    )
