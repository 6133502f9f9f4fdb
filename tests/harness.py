"""Running the real system for a test: processes, an HTTP client for the API, and the services' books."""

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self

import asyncpg
import httpx

from ops import database_access, namespace
from ops.audit import TERMINAL, fetch
from ops.broker_access import BrokerAccess
from ops.system import System, SystemConfig, free_ports
from tests import faulty
from tests.infrastructure import Infrastructure
from tests.polling import eventually


def order(order_id: str, quantity: int = 1, amount: float = 100, product: str = "item-001") -> dict[str, Any]:
    return {"orderId": order_id, "productId": product, "quantity": quantity, "amount": amount}


class SagaApi:
    """The orchestrator's HTTP API, as a user drives it; with `key`, as the caller that key names;
    `async with` closes its client however the block ends."""

    def __init__(self, base_url: str, key: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10, headers=headers)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.http.aclose()

    async def start(self, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post("/saga/start", json=body)

    async def status(self, order_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/saga/{order_id}/status")
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def history(self, order_id: str) -> list[dict[str, Any]]:
        response = await self.http.get(f"/saga/{order_id}/history")
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["events"]
        return events

    async def finished(self, order_id: str, timeout: float = 30) -> dict[str, Any]:
        return await eventually(
            lambda: self.status(order_id), lambda s: s["status"] in TERMINAL, timeout=timeout
        )

    async def finished_or_parked(self, order_id: str, timeout: float = 30) -> dict[str, Any]:
        return await eventually(
            lambda: self.status(order_id),
            lambda s: s["phase"] in ("DONE", "PARKED"),
            timeout=timeout,
        )

    async def states(self, order_id: str) -> list[str]:
        return [e["state"] for e in await self.history(order_id) if e["type"] == "STATE"]

    async def commands(self, order_id: str) -> list[str]:
        return [e["command"] for e in await self.history(order_id) if e["type"] == "COMMAND"]


class Books:
    """Read access to every service's database, to check that effects balance."""

    def __init__(self, system: System) -> None:
        self._system = system

    async def fetch(self, service: str, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await fetch(self._system.config, service, sql, *args)

    async def stock(self, product: str) -> int:
        rows = await self.fetch(
            "inventory-service", "SELECT stock FROM products WHERE product_id = $1", product
        )
        stock: int = rows[0]["stock"]
        return stock

    async def status(self, service: str, table: str, order_id: str) -> str | None:
        """The status of the order's row in the service's table; None if it has no row there."""
        rows = await self.fetch(service, f"SELECT status FROM {table} WHERE order_id = $1", order_id)
        return str(rows[0]["status"]) if rows else None


@asynccontextmanager
async def in_background(work: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Runs `work` as a task during the block; if the block ends first (an assertion failed), the
    task is cancelled and awaited, so that its clients close rather than run on."""
    task = asyncio.create_task(work)
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@asynccontextmanager
async def running_system(
    infra: Infrastructure, broker: BrokerAccess, prefix: str, log_dir: Path, **overrides: Any
) -> AsyncIterator[System]:
    """Sets up every process's database and role, starts each on its own queues through the
    entry that installs the faults its FAULT_* variables name; removes all of it afterwards."""
    async with prepared_system(infra, broker, prefix, log_dir, **overrides) as config:
        system = System(config)
        try:
            system.start_all()
            yield system
        finally:
            system.stop_all()


@asynccontextmanager
async def prepared_system(
    infra: Infrastructure, broker: BrokerAccess, prefix: str, log_dir: Path, **overrides: Any
) -> AsyncIterator[SystemConfig]:
    """A system's databases, roles and queues, ready for its processes; removed afterwards."""
    config = SystemConfig(
        postgres_url=infra.postgres_url,
        broker=broker,
        namespace=prefix,
        http_port=free_ports(overrides.get("orchestrators", 1)),
        log_dir=log_dir,
        entry=faulty.__name__,
        database_passwords=log_dir / "database-passwords.env",
        **overrides,
    )
    try:
        await database_access.set_up(config.postgres_url, config.database_logins())
        await namespace.create(config)
        yield config
    finally:
        await namespace.remove(config)
