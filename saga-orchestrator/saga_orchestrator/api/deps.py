"""What route handlers need, reached through the app state the lifespan filled.

Async, though they await nothing: FastAPI runs a plain `def` dependency in a thread.
"""

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from aio_pika.abc import AbstractRobustConnection
from fastapi import Depends, Request

from saga_orchestrator.runtime.definitions import Definitions
from saga_orchestrator.runtime.runner import SagaRunner
from saga_orchestrator.runtime.settled import SettledWaiters


@dataclass(frozen=True)
class Resources:
    pool: asyncpg.Pool
    broker: AbstractRobustConnection
    runner: SagaRunner
    settled: SettledWaiters
    definitions: Definitions


async def _resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def _pool(request: Request) -> asyncpg.Pool:
    return (await _resources(request)).pool


ResourcesDep = Annotated[Resources, Depends(_resources)]
PoolDep = Annotated[asyncpg.Pool, Depends(_pool)]
