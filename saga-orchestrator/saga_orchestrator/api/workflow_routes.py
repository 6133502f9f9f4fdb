"""The routes of every workflow, beside the seed's `/saga/...`: its definition as a graph, and its
sagas under `/workflows/{name}/...`, started with the input its definition declares. Keys, roles and
owners apply as on the seed's routes: the operations are the same."""

import asyncpg
from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel

from saga_orchestrator.api import operations, workflow_view
from saga_orchestrator.api.auth import FORBIDDEN, UNAUTHORIZED, CallerDep, OperatorDep, Responses
from saga_orchestrator.api.deps import PoolDep, Resources, ResourcesDep
from saga_orchestrator.api.exact_json import ExactJsonRoute
from saga_orchestrator.api.queries_view import event
from saga_orchestrator.api.routes import CONFLICT, TOO_LARGE, TOO_MANY_WAITING, WaitSeconds
from saga_orchestrator.api.schemas import Problem
from saga_orchestrator.api.workflow_schemas import (
    SagaKey,
    VersionFilter,
    WorkflowGraph,
    WorkflowList,
    WorkflowName,
    WorkflowSagaHistory,
    WorkflowSagaStarted,
    WorkflowSagaStatus,
)
from saga_orchestrator.persistence import definitions as stored
from saga_orchestrator.persistence import queries
from saga_orchestrator.runtime.definitions import UnknownDefinition
from saga_orchestrator.workflows.loader import Definition

NOT_FOUND: Responses = {
    404: {"model": Problem, "description": "no saga under this key, or one another client started"}
}
NO_WORKFLOW: Responses = {404: {"model": Problem, "description": "no such workflow, or no such version"}}

catalogue = APIRouter(responses=UNAUTHORIZED)


@catalogue.get("/workflows", responses=FORBIDDEN)
async def list_workflows(resources: ResourcesDep, _: OperatorDep) -> WorkflowList:
    """Every workflow, each version stored, and how many sagas on it have not finished; for operators."""
    rows = await stored.running(resources.pool)
    return workflow_view.catalogue(rows, resources.definitions.current)


@catalogue.get("/workflows/{name}", responses=NO_WORKFLOW)
async def workflow_graph(
    name: WorkflowName, resources: ResourcesDep, _: CallerDep, version: VersionFilter = None
) -> WorkflowGraph:
    """The definition (the current one, or `version`) as a graph: steps as nodes, their order as edges."""
    current = resources.definitions.current.get(name)
    if version is None and current is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no workflow {name!r}")
    try:
        definition = current if version is None else await resources.definitions.find((name, version))
    except UnknownDefinition as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    assert definition is not None
    return workflow_view.graph(definition)


def saga_routes(definition: Definition) -> APIRouter:
    """The routes of one workflow's sagas; its start request is checked against its input model."""
    name = definition.workflow.name
    key_field = definition.workflow.key
    router = APIRouter(prefix=f"/workflows/{name}", route_class=ExactJsonRoute, responses=UNAUTHORIZED)

    async def start(
        request: BaseModel,
        response: Response,
        resources: ResourcesDep,
        caller: CallerDep,
        wait: WaitSeconds = 0,
    ) -> WorkflowSagaStarted:
        input = request.model_dump(mode="json")  # amounts as exact decimal strings
        key = input[key_field]
        started = await operations.start(
            name, key, input, response=response, resources=resources, caller=caller, wait=wait
        )
        return WorkflowSagaStarted(
            saga_id=started.saga_id, workflow=name, version=started.version, key=key, status=started.status
        )

    # FastAPI reads the body's model from the annotation; this workflow's is made from its definition.
    start.__annotations__["request"] = definition.input_model
    start.__doc__ = f"Starts a saga of workflow {name!r}; posting the same input again returns it."
    router.post(
        "/start",
        status_code=status.HTTP_202_ACCEPTED,
        operation_id=f"start_{name}",
        responses={
            200: {"model": WorkflowSagaStarted, "description": "a saga under this key exists already"},
            409: {"model": Problem, "description": "the key is taken, by another input or client"},
            **TOO_MANY_WAITING,
            **TOO_LARGE,
        },
    )(start)

    @router.get(
        "/sagas/{key}/status", operation_id=f"{name}_status", responses={**NOT_FOUND, **TOO_MANY_WAITING}
    )
    async def saga_status(
        key: SagaKey, resources: ResourcesDep, caller: CallerDep, wait: WaitSeconds = 0
    ) -> WorkflowSagaStatus:
        """The saga's state now; with `wait`, as soon as it finished or parked, or when the wait ends."""
        return await _status(resources, await operations.settled_row(resources, name, key, caller, wait))

    @router.get("/sagas/{key}/history", operation_id=f"{name}_history", responses=NOT_FOUND)
    async def saga_history(key: SagaKey, pool: PoolDep, caller: CallerDep) -> WorkflowSagaHistory:
        """Every state transition, command sent and reply received, in order, and who cancelled or retried."""
        row = await operations.find(pool, name, key, caller)
        events = [event(e) for e in await queries.history(pool, row["saga_id"])]
        return WorkflowSagaHistory(saga_id=row["saga_id"], workflow=name, key=key, events=events)

    @router.post(
        "/sagas/{key}/cancel",
        status_code=202,
        operation_id=f"{name}_cancel",
        responses={**NOT_FOUND, **CONFLICT},
    )
    async def cancel_saga(
        key: SagaKey, response: Response, resources: ResourcesDep, caller: CallerDep
    ) -> WorkflowSagaStatus:
        """Stops a running saga and compensates, in reverse, every step it ran."""
        return await _status(resources, await operations.cancel(name, key, response, resources, caller))

    @router.post(
        "/sagas/{key}/retry",
        status_code=202,
        operation_id=f"{name}_retry",
        responses={**FORBIDDEN, **NOT_FOUND, **CONFLICT},
    )
    async def retry_saga(
        key: SagaKey, response: Response, resources: ResourcesDep, operator: OperatorDep
    ) -> WorkflowSagaStatus:
        """Resumes a saga parked in COMPENSATION_FAILED or COMPLETION_FAILED: sends again the commands
        that ran out of attempts; for operators."""
        return await _status(resources, await operations.resume(name, key, response, resources, operator))

    return router


async def _status(resources: Resources, row: asyncpg.Record) -> WorkflowSagaStatus:
    definition = await resources.definitions.find((row["workflow"], row["workflow_version"]))
    return workflow_view.status(row, definition.workflow)
