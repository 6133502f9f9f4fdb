"""Checks the books after a run: every saga finished, no effect twice, every database agrees.

Reads the orchestrator's and every service's database; used by the fault tests, `make chaos`
and `make bench`.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from ops.system import SystemConfig
from shared import json

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}
COMPENSATIONS = {"cancelOrder", "cancelPayment", "releaseStock", "cancelShipment"}
# What each service's row must say, by the saga's final status; None: no row.
EXPECTED: dict[str, dict[str, set[str | None]]] = {
    "COMPLETED": {
        "order": {"CREATED"},
        "payment": {"CHARGED"},
        "reservation": {"RESERVED"},
        "shipment": {"CREATED"},
    },
    "UNDONE": {
        "order": {"CANCELLED", None},
        "payment": {"REFUNDED", "VOIDED", None},
        "reservation": {"RELEASED", "VOIDED", None},
        "shipment": {"CANCELLED", "VOIDED", None},
    },
}


@dataclass
class Audit:
    sagas: int = 0
    terminal: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    stock_taken: Counter[str] = field(default_factory=Counter)  # by product: initial stock less stock now
    lost: list[str] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    double_effects: list[str] = field(default_factory=list)
    imbalances: list[str] = field(default_factory=list)
    broken_histories: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[str]:
        return [
            *(f"lost: {v}" for v in self.lost),
            *(f"stuck: {v}" for v in self.stuck),
            *(f"double effect: {v}" for v in self.double_effects),
            *(f"imbalance: {v}" for v in self.imbalances),
            *(f"history: {v}" for v in self.broken_histories),
        ]


async def audit(config: SystemConfig, started: Iterable[str], initial_stock: dict[str, int]) -> Audit:
    """`started` are the order ids whose start was accepted; `initial_stock` the seeded products."""
    sagas = await fetch(config, "saga-orchestrator", "SELECT saga_id, saga_key, status, input FROM sagas")
    events = await fetch(
        config,
        "saga-orchestrator",
        "SELECT saga_id, seq, type, state, command FROM saga_events ORDER BY saga_id, seq",
    )
    rows = await _service_rows(config)
    stock, reserved = await _inventory(config)
    result = Audit(sagas=len(sagas))
    result.lost = sorted(set(started) - {s["saga_key"] for s in sagas})
    histories = _histories(events)
    completed_units: Counter[str] = Counter()
    for saga in sagas:
        _check_saga(result, saga, rows, histories.get(saga["saga_id"], []))
        if saga["status"] == "COMPLETED":
            completed_units[saga["input"]["productId"]] += saga["input"]["quantity"]
    _check_stock(result, initial_stock, stock, reserved, completed_units)
    return result


async def _service_rows(config: SystemConfig) -> dict[str, dict[UUID, str]]:
    """Each service's record of each saga: its row's status, by saga id."""
    return {
        "order": await _by_saga(config, "order-service", "SELECT saga_id, status FROM orders"),
        "payment": await _by_saga(config, "payment-service", "SELECT saga_id, status FROM payments"),
        "reservation": await _by_saga(
            config, "inventory-service", "SELECT saga_id, status FROM reservations"
        ),
        "shipment": await _by_saga(config, "shipping-service", "SELECT saga_id, status FROM shipments"),
    }


async def _inventory(config: SystemConfig) -> tuple[dict[str, int], dict[str, int]]:
    """Stock on hand and units held by reservations, by product."""
    stock = {
        r["product_id"]: r["stock"]
        for r in await fetch(config, "inventory-service", "SELECT * FROM products")
    }
    reserved = await fetch(
        config,
        "inventory-service",
        "SELECT product_id, sum(quantity) AS units FROM reservations"
        " WHERE status = 'RESERVED' GROUP BY product_id",
    )
    return stock, {r["product_id"]: r["units"] for r in reserved}


def _check_saga(
    result: Audit, saga: asyncpg.Record, rows: dict[str, dict[UUID, str]], history: list[asyncpg.Record]
) -> None:
    status, key = saga["status"], saga["saga_key"]
    result.statuses[status] += 1
    if status not in TERMINAL:
        result.stuck.append(f"{key} is {status}")
        return
    result.terminal += 1
    expected = EXPECTED["COMPLETED" if status == "COMPLETED" else "UNDONE"]
    for service, statuses in expected.items():
        found = rows[service].get(saga["saga_id"])
        if found not in statuses:
            result.imbalances.append(f"{key} is {status} but its {service} is {found}")
    _check_history(result, key, status, history)


def _check_history(result: Audit, key: str, status: str, history: list[asyncpg.Record]) -> None:
    seqs = [e["seq"] for e in history]
    states = [e["state"] for e in history if e["type"] == "STATE"]
    sent: set[str] = set()
    for event in history:
        if event["type"] == "COMMAND":
            sent.add(event["command"])
        elif event["type"] == "REPLY" and event["command"] not in sent:
            result.broken_histories.append(f"{key}: reply to {event['command']} before it was sent")
    if seqs != list(range(1, len(seqs) + 1)):
        result.broken_histories.append(f"{key}: sequence numbers {seqs}")
    if not states or states[0] != "STARTED" or states[-1] != status:
        result.broken_histories.append(f"{key}: states {states} do not run from STARTED to {status}")
    if status == "COMPLETED" and sent & COMPENSATIONS:
        result.imbalances.append(f"{key} is COMPLETED but compensated {sorted(sent & COMPENSATIONS)}")


def _check_stock(
    result: Audit,
    initial: dict[str, int],
    stock: dict[str, int],
    reserved: dict[str, int],
    completed: Counter[str],
) -> None:
    for product, before in initial.items():
        now, held = stock.get(product, 0), reserved.get(product, 0)
        result.stock_taken[product] = before - now
        if before - now != held:
            result.double_effects.append(f"{product}: stock fell by {before - now}, reservations hold {held}")
        if before - now != completed[product]:
            result.imbalances.append(
                f"{product}: stock fell by {before - now}, completed sagas took {completed[product]}"
            )


def _histories(events: list[asyncpg.Record]) -> dict[UUID, list[asyncpg.Record]]:
    grouped: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for event in events:
        grouped[event["saga_id"]].append(event)
    return grouped


async def _by_saga(config: SystemConfig, service: str, sql: str) -> dict[UUID, str]:
    return {row["saga_id"]: row["status"] for row in await fetch(config, service, sql)}


async def fetch(config: SystemConfig, service: str, sql: str, *args: Any) -> list[Any]:
    """One query on a service's database, over a connection of its own; jsonb comes back decoded."""
    conn = await asyncpg.connect(config.database_url(service))
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps_str, decoder=json.loads, schema="pg_catalog")
        rows: list[Any] = await conn.fetch(sql, *args)
        return rows
    finally:
        await conn.close()
