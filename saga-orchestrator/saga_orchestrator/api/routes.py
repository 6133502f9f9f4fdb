"""The order saga's HTTP routes."""

import logging
from datetime import datetime
from functools import partial
from typing import Annotated

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Response, status

from saga_orchestrator.api import queries_view
from saga_orchestrator.api.auth import FORBIDDEN, UNAUTHORIZED, CallerDep, OperatorDep, Responses
from saga_orchestrator.api.deps import PoolDep, Resources, ResourcesDep
from saga_orchestrator.api.exact_json import ExactJsonRoute
from saga_orchestrator.api.keys import Caller
from saga_orchestrator.api.schemas import (
    MAX_BODY_BYTES,
    OrderId,
    Problem,
    SagaHistory,
    SagaList,
    SagaStarted,
    SagaStatus,
    StartSaga,
    StatusFilter,
    StuckFilter,
    WorkflowFilter,
)
from saga_orchestrator.engine.definition import CANCELLED, STARTED
from saga_orchestrator.engine.machine import Engine
from saga_orchestrator.engine.state import Decision, Phase, Saga
from saga_orchestrator.persistence import queries
from saga_orchestrator.runtime.runner import Decide
from saga_orchestrator.workflows.order import ORDER_WORKFLOW

log = logging.getLogger(__name__)

# Every route but the health checks requires a key, once any is configured.
router = APIRouter(route_class=ExactJsonRoute, responses=UNAUTHORIZED)

NOT_FOUND: Responses = {
    404: {"model": Problem, "description": "no saga for this order, or one another client started"}
}
CONFLICT: Responses = {409: {"model": Problem, "description": "the saga's state does not allow it"}}
TOO_MANY_WAITING: Responses = {
    429: {
        "model": Problem,
        "description": "too many requests wait already; try again after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    }
}
TOO_LARGE: Responses = {413: {"model": Problem, "description": f"the body is over {MAX_BODY_BYTES} bytes"}}


async def _find(pool: asyncpg.Pool, order_id: str, caller: Caller) -> asyncpg.Record:
    """The saga's row; another client's saga is not found, so that a client learns nothing of it."""
    row = await queries.by_key(pool, order_id)
    if row is None or not caller.may_access(row["owner"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no saga for order {order_id!r}")
    return row


SETTLED = {Phase.DONE.value, Phase.PARKED.value}

WaitSeconds = Annotated[
    float, Query(ge=0, le=60, description="seconds to wait for the saga to finish or park")
]


@router.post(
    "/saga/start",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        200: {"model": SagaStarted, "description": "this order's saga already exists"},
        409: {
            "model": Problem,
            "description": "this order exists with another request, or another client started it",
        },
        **TOO_MANY_WAITING,
        **TOO_LARGE,
    },
)
async def start_saga(
    request: StartSaga, response: Response, resources: ResourcesDep, caller: CallerDep, wait: WaitSeconds = 0
) -> SagaStarted:
    """Starts the order saga; posting the same order again returns the saga it already has.

    With `wait`, answers as soon as the saga finished or parked (its status then says how), or
    when the wait ends: one request for a client that wants the outcome.
    """
    if not wait:
        started, _ = await _start(request, response, resources, caller)
        return started
    async with resources.settled.watching(request.order_id) as settlement:
        started, phase = await _start(request, response, resources, caller)
        if phase in SETTLED:
            return started
        await settlement.wait(wait)
    status_now = settlement.status or (await _find(resources.pool, request.order_id, caller))["status"]
    return SagaStarted(saga_id=started.saga_id, order_id=request.order_id, status=status_now)


async def _start(
    request: StartSaga, response: Response, resources: Resources, caller: Caller
) -> tuple[SagaStarted, str]:
    """The saga this order has, started now if it had none, and the phase it is in."""
    input = request.model_dump(mode="json", by_alias=True)  # the amount as an exact decimal string
    saga_id = await resources.runner.start(ORDER_WORKFLOW.name, request.order_id, input, caller.name)
    if saga_id is not None:
        return SagaStarted(saga_id=saga_id, order_id=request.order_id, status=STARTED), Phase.FORWARD.value
    existing = await queries.by_key(resources.pool, request.order_id)
    if existing is None or not caller.may_access(existing["owner"]):
        # Refused alike whatever the other client's saga holds: a 409 tells only that the id is taken.
        raise HTTPException(status.HTTP_409_CONFLICT, f"order {request.order_id!r} is taken")
    if existing["input"] != input:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"order {request.order_id!r} already has a saga started with a different request",
        )
    response.status_code = status.HTTP_200_OK
    started = SagaStarted(saga_id=existing["saga_id"], order_id=request.order_id, status=existing["status"])
    return started, existing["phase"]


@router.get("/saga/{order_id}/status", responses={**NOT_FOUND, **TOO_MANY_WAITING})
async def saga_status(
    order_id: OrderId, resources: ResourcesDep, caller: CallerDep, wait: WaitSeconds = 0
) -> SagaStatus:
    """The saga's state now; with `wait`, as soon as it finished or parked, or when the wait ends."""
    if not wait:
        return queries_view.status(await _find(resources.pool, order_id, caller))
    async with resources.settled.watching(order_id) as settlement:
        row = await _find(resources.pool, order_id, caller)  # read after watching, so no settle is missed
        if row["phase"] in SETTLED:
            return queries_view.status(row)
        await settlement.wait(wait)
    row = await _find(resources.pool, order_id, caller)
    return queries_view.status(row)


@router.get("/saga/{order_id}/history", responses=NOT_FOUND)
async def saga_history(order_id: OrderId, pool: PoolDep, caller: CallerDep) -> SagaHistory:
    """Every state transition, command sent and reply received, in order, and who cancelled or retried."""
    row = await _find(pool, order_id, caller)
    events = await queries.history(pool, row["saga_id"])
    return SagaHistory(
        saga_id=row["saga_id"], order_id=order_id, events=[queries_view.event(e) for e in events]
    )


@router.post("/saga/{order_id}/cancel", status_code=202, responses={**NOT_FOUND, **CONFLICT})
async def cancel_saga(
    order_id: OrderId, response: Response, resources: ResourcesDep, caller: CallerDep
) -> SagaStatus:
    """Stops a running saga and compensates, in reverse, every step it ran."""
    cancel = partial(_cancel, actor=caller.name)
    return await _act(order_id, response, resources, caller, decide=cancel, already=CANCELLED)


@router.post("/saga/{order_id}/retry", status_code=202, responses={**FORBIDDEN, **NOT_FOUND, **CONFLICT})
async def retry_saga(
    order_id: OrderId, response: Response, resources: ResourcesDep, operator: OperatorDep
) -> SagaStatus:
    """Resumes the compensation of a saga parked in COMPENSATION_FAILED; for operators."""
    resume = partial(_resume, actor=operator.name)
    return await _act(order_id, response, resources, operator, decide=resume, already=None)


def _cancel(engine: Engine, saga: Saga, now: datetime, actor: str) -> Decision | None:
    return engine.cancel(saga, now, actor)


def _resume(engine: Engine, saga: Saga, now: datetime, actor: str) -> Decision | None:
    return engine.resume(saga, now, actor)


async def _act(
    order_id: str,
    response: Response,
    resources: Resources,
    caller: Caller,
    *,
    decide: Decide,
    already: str | None,
) -> SagaStatus:
    """Applies a caller's request; answers 202 if it changed the saga, 200 if already done."""
    row = await _find(resources.pool, order_id, caller)
    applied = await resources.runner.apply(row["saga_id"], decide)
    saga = applied.saga
    if not applied.changed:
        winding_down = saga.phase is Phase.COMPENSATING and saga.outcome == already
        if saga.status != already and not winding_down:
            raise HTTPException(status.HTTP_409_CONFLICT, f"saga of order {order_id!r} is {saga.status}")
        response.status_code = status.HTTP_200_OK if saga.status == already else 202
    return queries_view.status(await _find(resources.pool, order_id, caller))


@router.get("/sagas", responses=FORBIDDEN)
async def list_sagas(
    pool: PoolDep,
    _: OperatorDep,
    status_: StatusFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    workflow: WorkflowFilter = None,
    stuck: StuckFilter = None,
) -> SagaList:
    """Sagas, newest first; optionally of one status, of one workflow, or stuck: running (forward
    or compensating) and not moved on for `stuck` seconds."""
    rows = await queries.newest(pool, status_, limit, workflow=workflow, stuck_seconds=stuck)
    return SagaList(sagas=[queries_view.status(row) for row in rows])


# The health checks answer anyone: orchestration platforms probe them without a key.
health = APIRouter()


@health.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@health.get("/readyz", responses={503: {"model": Problem}})
async def readyz(resources: ResourcesDep) -> dict[str, str]:
    """The database and the broker are reachable."""
    try:
        await resources.pool.fetchval("SELECT 1")
    except Exception as exc:
        log.warning("not ready: database: %r", exc)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "database unavailable") from exc
    if resources.broker.is_closed:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "broker: not connected")
    return {"status": "ready"}
