"""The dead letters' routes, for operators: list them, read one, send it back to its queue, discard it."""

import logging
from collections.abc import Coroutine
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status

from saga_orchestrator.api import dead_letter_bodies as bodies
from saga_orchestrator.api.auth import FORBIDDEN, UNAUTHORIZED, OperatorDep, Responses
from saga_orchestrator.api.deps import PoolDep
from saga_orchestrator.api.exact_json import ExactJsonRoute
from saga_orchestrator.api.schemas import Problem
from saga_orchestrator.persistence import dead_letters
from saga_orchestrator.persistence.dead_letters import State
from saga_orchestrator.runtime.dead_letters import NOT_SENT, DeadLetters, NoSuchLetter, Refused

log = logging.getLogger(__name__)

router = APIRouter(route_class=ExactJsonRoute, responses={**UNAUTHORIZED, **FORBIDDEN})

MAX_ID = 2**63 - 1  # a bigint

LetterId = Annotated[int, Path(ge=1, le=MAX_ID, description="the dead letter's id")]
NOT_FOUND: Responses = {404: {"model": Problem, "description": "no dead letter with this id"}}
CONFLICT: Responses = {
    409: {"model": Problem, "description": "already redriven or discarded; for a redrive, not a command"}
}
UNAVAILABLE: Responses = {
    503: {"model": Problem, "description": "the broker did not take it; the letter stays open"}
}


async def _dead_letters(request: Request) -> DeadLetters:
    service: DeadLetters = request.app.state.dead_letters
    return service


DeadLettersDep = Annotated[DeadLetters, Depends(_dead_letters)]


@router.get("/dead-letters")
async def list_dead_letters(
    pool: PoolDep,
    _: OperatorDep,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="only letters older than this id")
    ] = None,
    state: Annotated[State | None, Query(description="only letters in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> bodies.DeadLetterList:
    """Dead letters, newest first, a page at a time: pass the answer's `next` as `before`."""
    rows = await dead_letters.page(pool, before, limit + 1, state)
    more = len(rows) > limit
    return bodies.DeadLetterList(
        dead_letters=[bodies.summary(row) for row in rows[:limit]],
        next=rows[limit - 1]["id"] if more else None,
    )


@router.get("/dead-letters/{letter_id}", responses=NOT_FOUND)
async def show_dead_letter(letter_id: LetterId, pool: PoolDep, _: OperatorDep) -> bodies.DeadLetter:
    """One dead letter: its headers and payload, and who redrove or discarded it."""
    return await _letter(pool, letter_id)


@router.post("/dead-letters/{letter_id}/redrive", responses={**NOT_FOUND, **CONFLICT, **UNAVAILABLE})
async def redrive_dead_letter(
    letter_id: LetterId, pool: PoolDep, service: DeadLettersDep, operator: OperatorDep
) -> bodies.DeadLetter:
    """Publishes the message back to the command queue it came from, as it first came; answers the
    letter as the redrive left it (one that fails again is back, open, moments later)."""
    return await _act(pool, service.redrive(letter_id, operator.name))


@router.post("/dead-letters/{letter_id}/discard", responses={**NOT_FOUND, **CONFLICT})
async def discard_dead_letter(
    letter_id: LetterId, pool: PoolDep, service: DeadLettersDep, operator: OperatorDep
) -> bodies.DeadLetter:
    """Marks the message dealt with, and sends it nowhere."""
    return await _act(pool, service.discard(letter_id, operator.name))


async def _act(pool: asyncpg.Pool, action: Coroutine[Any, Any, asyncpg.Record]) -> bodies.DeadLetter:
    """The letter as the action left it, with who acted on it; or the refusal."""
    try:
        row = await action
    except NoSuchLetter as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except Refused as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except NOT_SENT as exc:
        log.warning("dead letter not redriven: %r", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the broker did not take it") from exc
    return bodies.letter(row, await dead_letters.actions(pool, row["id"]))


async def _letter(pool: asyncpg.Pool, letter_id: int) -> bodies.DeadLetter:
    row = await dead_letters.one(pool, letter_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no dead letter {letter_id}")
    return bodies.letter(row, await dead_letters.actions(pool, letter_id))
