"""Response bodies of the dead letters' routes, and the rows they are made from."""

from datetime import datetime
from typing import Any, Literal

import asyncpg
from pydantic import Field

from saga_orchestrator.api.schemas import Body

PREVIEW_CHARACTERS = 200

StateName = Literal["OPEN", "REDRIVEN", "DISCARDED"]


class DeadLetterSummary(Body):
    id: int
    reason: str
    source_queue: str
    dead_at: datetime = Field(description="when it was stored, or stored again after a redrive")
    state: StateName
    preview: str = Field(description=f"the payload's first {PREVIEW_CHARACTERS} characters")


class DeadLetterList(Body):
    dead_letters: list[DeadLetterSummary]
    next: int | None = Field(description="`before` for the next page, older letters; null on the last")


class DeadLetterAction(Body):
    action: Literal["REDRIVEN", "DISCARDED"]
    actor: str
    at: datetime


class DeadLetter(DeadLetterSummary):
    message_id: str | None
    headers: dict[str, Any]
    payload: str = Field(description="read as UTF-8, any byte that is not replaced by U+FFFD")
    actions: list[DeadLetterAction] = Field(description="who redrove or discarded it, and when")


def _text(payload: bytes) -> str:
    return payload.decode(errors="replace")


def summary(row: asyncpg.Record) -> DeadLetterSummary:
    return DeadLetterSummary(
        id=row["id"],
        reason=row["reason"],
        source_queue=row["source_queue"],
        dead_at=row["dead_at"],
        state=row["state"],
        preview=_text(row["payload"][: PREVIEW_CHARACTERS * 4])[:PREVIEW_CHARACTERS],
    )


def letter(row: asyncpg.Record, actions: list[asyncpg.Record]) -> DeadLetter:
    return DeadLetter(
        **summary(row).model_dump(),
        message_id=row["message_id"],
        headers=row["headers"],
        payload=_text(row["payload"]),
        actions=[DeadLetterAction(**dict(action)) for action in actions],
    )
