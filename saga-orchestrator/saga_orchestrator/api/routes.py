"""The order saga's HTTP routes."""

import logging
from typing import Annotated

import asyncpg
from fastapi import APIRouter, HTTPException, Query, Response, status

from saga_orchestrator.api import operations, queries_view
from saga_orchestrator.api.auth import FORBIDDEN, UNAUTHORIZED, CallerDep, OperatorDep, Responses
from saga_orchestrator.api.deps import PoolDep, Resources, ResourcesDep
from saga_orchestrator.api.exact_json import ExactJsonRoute
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
from saga_orchestrator.persistence import queries

log = logging.getLogger(__name__)

ORDER = "order"  # the workflow the seed's `/saga/...` routes serve

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
    input = request.model_dump(mode="json", by_alias=True)  # the amount as an exact decimal string
    started = await operations.start(
        ORDER, request.order_id, input, response=response, resources=resources, caller=caller, wait=wait
    )
    return SagaStarted(saga_id=started.saga_id, order_id=request.order_id, status=started.status)


@router.get("/saga/{order_id}/status", responses={**NOT_FOUND, **TOO_MANY_WAITING})
async def saga_status(
    order_id: OrderId, resources: ResourcesDep, caller: CallerDep, wait: WaitSeconds = 0
) -> SagaStatus:
    """The saga's state now; with `wait`, as soon as it finished or parked, or when the wait ends."""
    row = await operations.settled_row(resources, ORDER, order_id, caller, wait)
    return await _status(resources, row)


@router.get("/saga/{order_id}/history", responses=NOT_FOUND)
async def saga_history(order_id: OrderId, pool: PoolDep, caller: CallerDep) -> SagaHistory:
    """Every state transition, command sent and reply received, in order, and who cancelled or retried."""
    row = await operations.find(pool, ORDER, order_id, caller)
    events = await queries.history(pool, row["saga_id"])
    return SagaHistory(
        saga_id=row["saga_id"], order_id=order_id, events=[queries_view.event(e) for e in events]
    )


@router.post("/saga/{order_id}/cancel", status_code=202, responses={**NOT_FOUND, **CONFLICT})
async def cancel_saga(
    order_id: OrderId, response: Response, resources: ResourcesDep, caller: CallerDep
) -> SagaStatus:
    """Stops a running saga and compensates, in reverse, every step it ran."""
    return await _status(resources, await operations.cancel(ORDER, order_id, response, resources, caller))


@router.post("/saga/{order_id}/retry", status_code=202, responses={**FORBIDDEN, **NOT_FOUND, **CONFLICT})
async def retry_saga(
    order_id: OrderId, response: Response, resources: ResourcesDep, operator: OperatorDep
) -> SagaStatus:
    """Resumes a saga parked in COMPENSATION_FAILED or COMPLETION_FAILED: sends again the commands that
    ran out of attempts; for operators."""
    row = await operations.resume(ORDER, order_id, response, resources, operator)
    return await _status(resources, row)


async def _status(resources: Resources, row: asyncpg.Record) -> SagaStatus:
    definition = await resources.definitions.find((row["workflow"], row["workflow_version"]))
    return queries_view.status(row, definition.workflow)


@router.get("/sagas", responses=FORBIDDEN)
async def list_sagas(
    resources: ResourcesDep,
    _: OperatorDep,
    status_: StatusFilter = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    workflow: WorkflowFilter = None,
    stuck: StuckFilter = None,
) -> SagaList:
    """Sagas, newest first; optionally of one status, of one workflow, or stuck: running (forward
    or compensating) and not moved on for `stuck` seconds."""
    rows = await queries.newest(resources.pool, status_, limit, workflow=workflow, stuck_seconds=stuck)
    return SagaList(sagas=[await _status(resources, row) for row in rows])


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
