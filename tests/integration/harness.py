"""A service under test: its own database, its worker running in this event loop, and the bus."""

import asyncio
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from ops import database_access
from ops.database_access import Login
from shared import database, topology
from shared.contracts import CommandMessage, command_message_id
from shared.settings import ProcessSettings
from shared.worker.handlers import Outcome
from shared.worker.runtime import serve
from tests.faulty import failing
from tests.integration.bus import Bus
from tests.integration.services import ServiceSpec, State
from tests.polling import eventually


@dataclass
class ServiceDatabase:
    url: str
    pool: asyncpg.Pool


class Databases:
    """One fresh database per service for this run, set up on first use as the setup step does, with
    the service's login role; both dropped at the end."""

    def __init__(self, admin_url: str, run_id: str) -> None:
        self._admin_url = admin_url
        self._run_id = run_id
        self._password = secrets.token_urlsafe(16)
        self._created: dict[str, ServiceDatabase] = {}
        self._names: list[str] = []  # even those whose setup failed half way

    async def get(self, spec: ServiceSpec) -> ServiceDatabase:
        if spec.service not in self._created:
            login = Login(spec.package, f"{self._run_id}_{spec.service}", self._password)
            self._names.append(login.role)
            await database_access.set_up(self._admin_url, [login])
            url = database_access.login_url(self._admin_url, login.role, login.password)
            self._created[spec.service] = ServiceDatabase(url, await database.open_pool(url, 8))
        return self._created[spec.service]

    async def drop_all(self) -> None:
        for created in self._created.values():
            # Not close(): its connections may have died with a restarted server; FORCE ends any others.
            created.pool.terminate()
        await database_access.tear_down(self._admin_url, self._names)


class Worker:
    """The service's worker, started by `serve` as its process would be, and stopped by an event."""

    def __init__(self, spec: ServiceSpec, settings: ProcessSettings, bus: Bus) -> None:
        self.spec = spec
        self.settings = settings
        self._bus = bus
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failing: Collection[str] = ()

    async def start(self) -> None:
        self._stop = asyncio.Event()
        spec, settings = self.spec, self.settings
        self._task = asyncio.create_task(
            serve(
                spec.service,
                spec.package,
                failing(spec.handlers, self._failing),
                settings,
                stop=self._stop,
                setup=settings.startup(),
            )
        )
        await eventually(self._started, lambda count: count > 0)

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
            self._task = None
        # The broker drops a closed connection's consumer a moment later; until it has, a
        # restarted worker would look ready before it is.
        await eventually(self._consumers, lambda count: count == 0)

    async def restart(self, *, failing: Collection[str] = (), **changes: Any) -> None:
        """Stops, then starts again with these settings changed (settings are frozen, as in a process)
        and the handlers of the commands `failing` raising."""
        await self.stop()
        self.settings = self.settings.model_copy(update=changes)
        self._failing = failing
        await self.start()

    async def _started(self) -> int:
        assert self._task is not None
        if self._task.done():
            self._task.result()  # a worker that died while starting fails the test with its error
            raise AssertionError("worker stopped before it consumed")
        return await self._consumers()

    async def _consumers(self) -> int:
        return await self._bus.consumers(
            topology.command_queue(self.spec.service, self.settings.queue_prefix)
        )


def command(
    name: str,
    payload: dict[str, Any],
    *,
    saga_id: UUID | None = None,
    step_id: str | None = None,
    deadline: datetime | None = None,
) -> CommandMessage:
    """A command as the orchestrator sends it: its message id derives from (saga, step)."""
    saga_id = saga_id or uuid4()
    step_id = step_id or name
    return CommandMessage(
        message_id=command_message_id(saga_id, step_id),
        saga_id=saga_id,
        step_id=step_id,
        command=name,
        deadline=deadline or datetime.now(UTC) + timedelta(minutes=1),
        payload=payload,
        correlation_id=f"1.{uuid4().hex}",  # opaque to the service, which echoes it
    )


@dataclass
class Participant:
    """What a test drives: one service, reached over the broker, its state read from its database."""

    spec: ServiceSpec
    bus: Bus
    worker: Worker
    db: ServiceDatabase

    async def call(self, message: CommandMessage) -> dict[str, Any]:
        """Sends the command and returns its reply."""
        await self.bus.send(self.spec.service, message)
        return (await self.bus.replies_to(str(message.message_id)))[0]

    async def arrange(self, ref: str) -> dict[str, Any]:
        """A payload for a fresh saga, with whatever it needs (stock) put in place."""
        return await self.spec.arrange(self.db.pool, ref)

    async def state(self, saga_id: UUID, payload: dict[str, Any]) -> State:
        return await self.spec.state(self.db.pool, saga_id, payload)

    async def inbox_has(self, message: CommandMessage) -> bool:
        found = await self.db.pool.fetchval(
            "SELECT true FROM inbox WHERE message_id = $1", message.message_id
        )
        return bool(found)


async def apply_directly(
    pool: asyncpg.Pool, spec: ServiceSpec, name: str, saga_id: UUID, payload: dict[str, Any]
) -> Outcome:
    """Runs one handler in its own transaction, as the runtime does, without the broker."""
    handler = spec.handlers[name]
    async with pool.acquire() as conn, conn.transaction():
        return await handler.bind(handler.payload.model_validate(payload))(conn, saga_id)
