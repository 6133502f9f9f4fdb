"""The services as the shared tests see them, each from the registry and its own package: its
handlers, settings and books, and its step's command and compensation in the workflows."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from ops import registry
from saga_orchestrator import workflows
from shared.books import Books
from shared.settings import ProcessSettings
from shared.worker.handlers import Handler

# {"rows": the saga's rows in the service's table, "stock": the product's stock where it has one}
State = dict[str, Any]


@dataclass(frozen=True)
class ServiceSpec:
    service: str
    package: str
    handlers: Mapping[str, Handler[Any]]
    settings_type: type[ProcessSettings]
    forward: str
    compensation: str | None  # None: the service's step has none
    books: Books

    @property
    def done(self) -> str:
        """The status the forward command leaves."""
        return self.books.done

    @property
    def undone(self) -> str | None:
        """The status its compensation turns that into; None where it has none."""
        return self.books.undone

    @property
    def marker(self) -> str | None:
        """The status a compensation leaves when it comes first."""
        return self.books.marker

    @property
    def refusal(self) -> str | None:
        """What the forward command answers once the marker is there."""
        return self.books.refusal

    @property
    def result_keys(self) -> frozenset[str]:
        return self.books.result_keys

    @property
    def tracks_stock(self) -> bool:
        """The state includes the stock of the payload's product."""
        return self.books.tracks_stock

    async def arrange(self, pool: asyncpg.Pool, ref: str) -> dict[str, Any]:
        return await self.books.sample(pool, ref)

    async def state(self, pool: asyncpg.Pool, saga_id: UUID, payload: dict[str, Any]) -> State:
        rows = await pool.fetch(f"SELECT * FROM {self.books.table} WHERE saga_id = $1", saga_id)
        state: State = {"rows": [dict(row) for row in rows]}
        if self.tracks_stock:
            sql = "SELECT stock FROM products WHERE product_id = $1"
            state["stock"] = await pool.fetchval(sql, payload["productId"])
        return state


def spec(service: str) -> ServiceSpec:
    """The service's spec; its command is that of the first of the workflows' steps that names it,
    its compensation the first such step's that has one (a pivot in one workflow may be compensable
    in another)."""
    steps = [s for w in workflows.WORKFLOWS.values() for s in w.steps if s.service == service]
    compensations = [s.compensation.command for s in steps if s.compensation is not None]
    return ServiceSpec(
        service=service,
        package=registry.package(service),
        handlers=registry.handlers(service),
        settings_type=registry.settings_type(service),
        forward=steps[0].action.command,
        compensation=compensations[0] if compensations else None,
        books=registry.books(service),
    )


async def add_product(pool: asyncpg.Pool, product_id: str, stock: int) -> None:
    await pool.execute("INSERT INTO products (product_id, stock) VALUES ($1, $2)", product_id, stock)


SERVICES = [spec(service) for service in registry.services()]
COMPENSATED = [spec for spec in SERVICES if spec.compensation is not None]
ORDER, PAYMENT, INVENTORY, FRAUD, SHIPPING, NOTIFICATION = (
    spec(s) for s in ("order", "payment", "inventory", "fraud", "shipping", "notification")
)
