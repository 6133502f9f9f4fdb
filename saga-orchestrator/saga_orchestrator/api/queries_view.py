"""Database rows to response bodies."""

from typing import Any

import asyncpg

from saga_orchestrator.api.schemas import HistoryEvent, SagaStatus
from saga_orchestrator.engine.definition import Workflow
from saga_orchestrator.engine.state import Phase


def state(row: asyncpg.Record, workflow: Workflow) -> dict[str, Any]:
    """What any saga's status says, whichever its workflow: `workflow` is the version it runs on."""
    running = row["phase"] != Phase.DONE
    return {
        "saga_id": row["saga_id"],
        "status": row["status"],
        "phase": row["phase"],
        "current_step": workflow.steps[row["step"]].name if running else None,
        "attempt": row["attempt"],
        "last_error": row["last_error"],
        "failed_step": row["failed_step"],
        "error": row["error"],
        "input": row["input"],
        "owner": row["owner"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "finished_at": row["finished_at"],
    }


def status(row: asyncpg.Record, workflow: Workflow) -> SagaStatus:
    return SagaStatus(order_id=row["saga_key"], **state(row, workflow))


def event(row: asyncpg.Record) -> HistoryEvent:
    return HistoryEvent(**dict(row))
