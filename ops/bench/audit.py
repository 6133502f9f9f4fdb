"""The books after a run: every saga ended as its order implies, and every service's rows agree.

The SQL is written here against the services' tables rather than borrowed from them, so a bug in
a service's queries cannot also hide in its audit.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from ops.bench.load import Order
from ops.bench.options import PRODUCT
from ops.bench.stack import Target

SAGAS = """
SELECT saga_key, saga_id, status, (input->>'quantity')::int AS quantity
FROM sagas WHERE saga_key = ANY($1::text[])
"""
ROWS = "SELECT saga_id, status FROM {table} WHERE saga_id = ANY($1::uuid[])"
STOCK = "SELECT stock FROM products WHERE product_id = $1"

# (database package, table) of each service's record of a saga.
TABLES = {
    "order": ("order_service", "orders"),
    "payment": ("payment_service", "payments"),
    "reservation": ("inventory_service", "reservations"),
    "shipment": ("shipping_service", "shipments"),
}
# What each service must hold for a saga that ended so; None: no row at all.
EXPECTED: dict[str, dict[str, str | None]] = {
    "COMPLETED": {"order": "CREATED", "payment": "CHARGED", "reservation": "RESERVED", "shipment": "CREATED"},
    "FAILED": {"order": "CANCELLED", "payment": "REFUNDED", "reservation": "RELEASED", "shipment": None},
}
EXAMPLES = 3


@dataclass
class Books:
    statuses: Counter[str] = field(default_factory=Counter)  # sagas by the state they ended in
    stock_taken: int = 0
    problems: Counter[str] = field(default_factory=Counter)  # kind of imbalance -> sagas with it
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def ok(self) -> bool:
        return not self.problems

    def flag(self, kind: str, example: str) -> None:
        self.problems[kind] += 1
        if len(self.examples[kind]) < EXAMPLES:
            self.examples[kind].append(example)

    def summary(self) -> list[str]:
        return [f"{kind}: {n} (e.g. {', '.join(self.examples[kind])})" for kind, n in self.problems.items()]


async def _fetch(url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()


async def stock(target: Target) -> int:
    rows = await _fetch(target.database_url("inventory_service"), STOCK, PRODUCT)
    if not rows:
        raise RuntimeError(f"{PRODUCT} is not in stock: start the system with INVENTORY_SEED={PRODUCT}=...")
    value: int = rows[0]["stock"]
    return value


async def audit(target: Target, batch: list[Order], stock_before: int) -> Books:
    """Checks the sagas of `batch` against their orders, the four services and the stock."""
    books = Books()
    sagas = {
        r["saga_key"]: r
        for r in await _fetch(target.database_url("saga_orchestrator"), SAGAS, [o.order_id for o in batch])
    }
    ids = [r["saga_id"] for r in sagas.values()]
    held = {name: await _statuses(target, package, table, ids) for name, (package, table) in TABLES.items()}
    completed_quantity = 0
    for order in batch:
        saga = sagas.get(order.order_id)
        if saga is None:
            books.flag("saga never stored", order.order_id)
            continue
        books.statuses[saga["status"]] += 1
        if saga["status"] != order.expected:
            books.flag(f"ended {saga['status']}, expected {order.expected}", order.order_id)
        if saga["status"] == "COMPLETED":
            completed_quantity += saga["quantity"]
        for name, status in EXPECTED.get(saga["status"], {}).items():
            found = held[name].get(saga["saga_id"])
            if found != status:
                books.flag(f"{saga['status']} saga with {name} {found}", order.order_id)
    books.stock_taken = stock_before - await stock(target)
    if books.stock_taken != completed_quantity:
        books.flag("stock taken != quantity completed", f"{books.stock_taken} != {completed_quantity}")
    return books


async def _statuses(target: Target, package: str, table: str, ids: list[Any]) -> dict[Any, str]:
    rows = await _fetch(target.database_url(package), ROWS.format(table=table), ids)
    return {row["saga_id"]: row["status"] for row in rows}
