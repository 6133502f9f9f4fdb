"""What the routes of every workflow do alike, the seed's `/saga/...` and `/workflows/{name}/...`:
find a caller's saga by its key, start one, wait for one to settle, cancel or resume one.
A saga is named by its workflow and key; messages call it "<workflow> '<key>'"."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import HTTPException, Response, status

from saga_orchestrator.api.deps import Resources
from saga_orchestrator.api.keys import Caller
from saga_orchestrator.engine.definition import CANCELLED, COMPLETION_FAILED, STARTED, Workflow
from saga_orchestrator.engine.machine import Engine
from saga_orchestrator.engine.state import Decision, Kind, Phase, Saga
from saga_orchestrator.persistence import queries
from saga_orchestrator.runtime.runner import Decide

SETTLED = {Phase.DONE.value, Phase.PARKED.value}


@dataclass(frozen=True)
class Started:
    saga_id: UUID
    status: str
    version: int  # of the definition it runs on
    phase: str


def label(workflow: str, key: str) -> str:
    return f"{workflow} {key!r}"


async def find(pool: asyncpg.Pool, workflow: str, key: str, caller: Caller) -> asyncpg.Record:
    """The saga's row; another client's saga is not found, so that a client learns nothing of it."""
    row = await queries.by_key(pool, workflow, key)
    if row is None or not caller.may_access(row["owner"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no saga for {label(workflow, key)}")
    return row


async def start(
    workflow: str,
    key: str,
    input: dict[str, Any],
    *,
    response: Response,
    resources: Resources,
    caller: Caller,
    wait: float,
) -> Started:
    """The saga this key has, started now if it had none, and its status; with `wait`, the status
    once it finished or parked, or when the wait ends."""
    if not wait:
        return await _start(workflow, key, input, response=response, resources=resources, caller=caller)
    async with resources.settled.watching(workflow, key) as settlement:
        started = await _start(workflow, key, input, response=response, resources=resources, caller=caller)
        if started.phase in SETTLED:
            return started
        await settlement.wait(wait)
    status_now = settlement.status or (await find(resources.pool, workflow, key, caller))["status"]
    return replace(started, status=status_now)


async def _start(
    workflow: str,
    key: str,
    input: dict[str, Any],
    *,
    response: Response,
    resources: Resources,
    caller: Caller,
) -> Started:
    started = await resources.runner.start(workflow, key, input, caller.name)
    if started is not None:
        saga_id, version = started
        return Started(saga_id, STARTED, version, Phase.FORWARD.value)
    existing = await queries.by_key(resources.pool, workflow, key)
    if existing is None or not caller.may_access(existing["owner"]):
        # Refused alike whatever the other client's saga holds: a 409 tells only that the key is taken.
        raise HTTPException(status.HTTP_409_CONFLICT, f"{label(workflow, key)} is taken")
    if existing["input"] != input:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"{label(workflow, key)} already has a saga started with a different request",
        )
    response.status_code = status.HTTP_200_OK
    return Started(existing["saga_id"], existing["status"], existing["workflow_version"], existing["phase"])


async def settled_row(
    resources: Resources, workflow: str, key: str, caller: Caller, wait: float
) -> asyncpg.Record:
    """The saga's row now; with `wait`, as soon as it finished or parked, or when the wait ends."""
    if not wait:
        return await find(resources.pool, workflow, key, caller)
    async with resources.settled.watching(workflow, key) as settlement:
        row = await find(resources.pool, workflow, key, caller)  # read after watching: no settle missed
        if row["phase"] in SETTLED:
            return row
        await settlement.wait(wait)
    return await find(resources.pool, workflow, key, caller)


# Why a saga refused a request, after "saga of <workflow> '<key>'".
Refusal = Callable[[Workflow, Saga], str]


def _in_status(workflow: Workflow, saga: Saga) -> str:
    return f"is {saga.status}"


def _not_cancelled(workflow: Workflow, saga: Saga) -> str:
    """Why a saga is not cancelled: it has ended or turns back already, or it sent its pivot, after
    which it only goes forward (or waits, parked, to go on)."""
    pivot = workflow.pivot
    forward = saga.phase is Phase.FORWARD or saga.status == COMPLETION_FAILED
    if forward and pivot is not None and saga.run(pivot, Kind.FORWARD) is not None:
        return f"is past its pivot {workflow.steps[pivot].name} and can no longer be cancelled"
    return _in_status(workflow, saga)


def _cancel(engine: Engine, saga: Saga, now: datetime, actor: str) -> Decision | None:
    return engine.cancel(saga, now, actor)


def _resume(engine: Engine, saga: Saga, now: datetime, actor: str) -> Decision | None:
    return engine.resume(saga, now, actor)


async def cancel(
    workflow: str, key: str, response: Response, resources: Resources, caller: Caller
) -> asyncpg.Record:
    """Stops a running saga, which compensates every step it ran; its row afterwards."""
    decide = partial(_cancel, actor=caller.name)
    return await _act(
        workflow, key, response, resources, caller, decide=decide, already=CANCELLED, refusal=_not_cancelled
    )


async def resume(
    workflow: str, key: str, response: Response, resources: Resources, operator: Caller
) -> asyncpg.Record:
    """Resumes a parked saga: the commands that ran out of attempts go out again; its row afterwards."""
    decide = partial(_resume, actor=operator.name)
    return await _act(workflow, key, response, resources, operator, decide=decide, already=None)


async def _act(
    workflow: str,
    key: str,
    response: Response,
    resources: Resources,
    caller: Caller,
    *,
    decide: Decide,
    already: str | None,
    refusal: Refusal = _in_status,
) -> asyncpg.Record:
    """Applies a caller's request; answers 202 if it changed the saga, 200 if already done, and 409
    with the `refusal` if it may not be done."""
    row = await find(resources.pool, workflow, key, caller)
    applied = await resources.runner.apply(row["saga_id"], decide)
    saga = applied.saga
    if not applied.changed:
        winding_down = saga.phase is Phase.COMPENSATING and saga.outcome == already
        if saga.status != already and not winding_down:
            definition = await resources.definitions.find((saga.workflow, saga.workflow_version))
            why = refusal(definition.workflow, saga)
            raise HTTPException(status.HTTP_409_CONFLICT, f"saga of {label(workflow, key)} {why}")
        response.status_code = status.HTTP_200_OK if saga.status == already else 202
    return await find(resources.pool, workflow, key, caller)
