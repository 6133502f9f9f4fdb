"""The dashboard's pages: the overview, the saga list, one saga, the dead letters. Each reads
through the same functions as the API's routes; none decides what a saga may do."""

from typing import Annotated
from urllib.parse import urlencode

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from saga_orchestrator.api import operations
from saga_orchestrator.api.dead_letter_bodies import summary
from saga_orchestrator.api.deps import PoolDep, Resources, ResourcesDep
from saga_orchestrator.api.workflow_schemas import SagaKey, WorkflowName
from saga_orchestrator.engine.machine import Engine, may_cancel
from saga_orchestrator.engine.state import Phase
from saga_orchestrator.persistence import dead_letters, queries, saga_list
from saga_orchestrator.persistence.dead_letters import State
from saga_orchestrator.persistence.sagas import load_many
from saga_orchestrator.ui import progress
from saga_orchestrator.ui.filters import ListQuery
from saga_orchestrator.ui.overview import minutes
from saga_orchestrator.ui.session import Session
from saga_orchestrator.ui.web import SessionDep, render

router = APIRouter(prefix="/ui", include_in_schema=False)

PHASES = [phase.value for phase in Phase]
STUCK_AFTER_SECONDS = 30.0  # the overview's "stuck": running and not moved on for this long
WINDOW_MINUTES = 15


@router.get("", response_class=HTMLResponse)
async def overview(request: Request, session: SessionDep, pool: PoolDep) -> HTMLResponse:
    recent = await saga_list.recent(pool, WINDOW_MINUTES)
    stuck = await queries.newest(pool, None, 100, stuck_seconds=STUCK_AFTER_SECONDS)
    return render(
        request,
        session,
        "overview.html",
        recent=recent,
        rows=minutes(recent, WINDOW_MINUTES),
        stuck=stuck,
        stuck_after=STUCK_AFTER_SECONDS,
        window=WINDOW_MINUTES,
    )


@router.get("/sagas", response_class=HTMLResponse)
async def sagas(
    request: Request, session: SessionDep, resources: ResourcesDep, query: Annotated[ListQuery, Query()]
) -> HTMLResponse:
    rows, cursor = await saga_list.page(resources.pool, query.filters, query.limit, query.cursor)
    return render(
        request,
        session,
        "sagas.html",
        counts=await request.app.state.ui_counts.get(resources.pool),
        rows=rows,
        query=query,
        phases=PHASES,
        workflows=sorted(resources.definitions.current),
        next_page=None if cursor is None else "?" + urlencode(query.with_after(cursor)),
    )


@router.get("/sagas/{workflow}/{key}", response_class=HTMLResponse)
async def saga(
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    workflow: WorkflowName,
    key: SagaKey,
) -> HTMLResponse:
    return await show_saga(request, session, resources, (workflow, key))


async def show_saga(
    request: Request,
    session: Session,
    resources: Resources,
    saga: tuple[str, str],
    problem: str | None = None,
) -> HTMLResponse:
    """The saga's page; with `problem`, why the action just asked for was refused."""
    workflow, key = saga
    row = await operations.find(resources.pool, workflow, key, session.caller)
    definition = await resources.definitions.find((row["workflow"], row["workflow_version"]))
    events = await queries.history(resources.pool, row["saga_id"])
    (stored,) = await load_many(resources.pool, [row["saga_id"]])
    return render(
        request,
        session,
        "saga.html",
        code=409 if problem else 200,
        saga=row,
        problem=problem,
        running=row["phase"] in (Phase.FORWARD, Phase.COMPENSATING),
        may_cancel=stored is not None and may_cancel(definition.workflow, stored.saga),
        may_retry=Engine.may_resume(Phase(row["phase"])),
        stages=progress.stages(definition.workflow, events, finished=row["phase"] == Phase.DONE),
        timeline=progress.timeline(events),
    )


@router.get("/dead-letters", response_class=HTMLResponse)
async def letters(
    request: Request,
    session: SessionDep,
    pool: PoolDep,
    state: State | None = State.OPEN,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    return await show_letters(request, session, pool, (state, before))


async def show_letters(
    request: Request,
    session: Session,
    pool: asyncpg.Pool,
    where: tuple[State | None, int | None] = (State.OPEN, None),
    problem: tuple[int, str] | None = None,
) -> HTMLResponse:
    """A page of dead letters; with `problem`, the status and reason of the refused action."""
    (state, before), limit = where, 50
    rows = await dead_letters.page(pool, before, limit + 1, state)
    more = len(rows) > limit
    return render(
        request,
        session,
        "dead_letters.html",
        code=problem[0] if problem else 200,
        problem=problem[1] if problem else None,
        letters=[summary(row) for row in rows[:limit]],
        state=state,
        states=list(State),
        next_page=f"?state={state or ''}&before={rows[limit - 1]['id']}" if more else None,
    )
