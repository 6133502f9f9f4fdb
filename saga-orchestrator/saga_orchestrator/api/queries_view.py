"""Database rows to response bodies."""

import asyncpg

from saga_orchestrator.api.schemas import HistoryEvent, SagaStatus
from saga_orchestrator.engine.state import Phase
from saga_orchestrator.workflows import WORKFLOWS


def status(row: asyncpg.Record) -> SagaStatus:
    running = row["phase"] != Phase.DONE
    current = WORKFLOWS[row["workflow"]].steps[row["step"]].name if running else None
    return SagaStatus(
        saga_id=row["saga_id"],
        order_id=row["order_id"],
        status=row["status"],
        phase=row["phase"],
        current_step=current,
        attempt=row["attempt"],
        last_error=row["last_error"],
        failed_step=row["failed_step"],
        error=row["error"],
        input=row["input"],
        owner=row["owner"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        finished_at=row["finished_at"],
    )


def event(row: asyncpg.Record) -> HistoryEvent:
    return HistoryEvent(**dict(row))
