"""Checks the books after a run: every saga finished, no effect twice, every database agrees.

Reads the orchestrator's and every service's database, each service's as its own package's books
say (`shared.books`); used by the fault tests, `make chaos` and `make bench`.
"""

from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import asyncpg

from ops import registry
from ops.saga_checks import check_saga
from ops.system import SystemConfig
from saga_orchestrator.engine.definition import COMPLETED, Workflow
from saga_orchestrator.persistence import definitions
from shared import json

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


@dataclass
class Audit:
    sagas: int = 0
    terminal: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    stock_taken: Counter[str] = field(default_factory=Counter)  # by item: what the run used up of its seed
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
    """`started` are the keys whose start was accepted; `initial_stock` what the run seeded, by item."""
    sagas = await fetch(
        config,
        registry.ORCHESTRATOR,
        "SELECT saga_id, workflow, workflow_version, saga_key, status, input FROM sagas",
    )
    events = await fetch(
        config,
        registry.ORCHESTRATOR,
        "SELECT saga_id, seq, type, state, command, success FROM saga_events ORDER BY saga_id, seq",
    )
    ran = await _workflows(config)  # read after the sagas: a saga's version is stored before it starts
    services = tuple(dict.fromkeys(service for workflow in ran.values() for service in workflow.services))
    rows = await _service_rows(config, services)
    result = Audit(sagas=len(sagas))
    result.lost = sorted(set(started) - {s["saga_key"] for s in sagas})
    histories = _histories(events)
    for saga in sagas:
        _tally(result, saga, ran, rows, histories.get(saga["saga_id"], []))
    for service in services:
        completed = [s["input"] for s in sagas if s["status"] == COMPLETED and service in _named(s, ran)]
        await _check_service(config, service, result, completed, initial_stock)
    return result


def _named(saga: asyncpg.Record, ran: dict[tuple[str, int], Workflow]) -> tuple[str, ...]:
    """The services the saga's workflow names: only their books know of it."""
    workflow = ran.get((saga["workflow"], saga["workflow_version"]))
    return () if workflow is None else workflow.services


def _tally(
    result: Audit,
    saga: asyncpg.Record,
    ran: dict[tuple[str, int], Workflow],
    rows: dict[str, dict[UUID, str]],
    history: list[asyncpg.Record],
) -> None:
    status, key = saga["status"], saga["saga_key"]
    result.statuses[status] += 1
    if status not in TERMINAL:
        result.stuck.append(f"{key} is {status}")
        return
    result.terminal += 1
    workflow = ran.get((saga["workflow"], saga["workflow_version"]))
    if workflow is None:
        result.broken_histories.append(f"{key}: its workflow's definition is not stored")
        return
    found = check_saga(saga, workflow, rows, history)
    result.imbalances += found.imbalances
    result.broken_histories += found.broken_histories


async def _workflows(config: SystemConfig) -> dict[tuple[str, int], Workflow]:
    """Every workflow version the orchestrator stored, so every one its sagas ran on: what they are
    held to comes from their own definitions, whichever files this process would load."""
    async with connected(config, registry.ORCHESTRATOR) as conn:
        stored = await definitions.load_all(conn)
    return {(d.workflow.name, d.workflow.version): d.workflow for d in stored}


async def _service_rows(config: SystemConfig, services: Iterable[str]) -> dict[str, dict[UUID, str]]:
    """Each service's record of each saga: its row's status, by saga id."""
    return {
        service: await _by_saga(
            config, registry.folder(service), f"SELECT saga_id, status FROM {registry.books(service).table}"
        )
        for service in services
    }


async def _check_service(
    config: SystemConfig, service: str, result: Audit, completed: list[Any], seeded: dict[str, int]
) -> None:
    """The service's own check of its books, where it has one."""
    check = registry.books(service).check
    if check is None:
        return
    conn = await asyncpg.connect(config.database_url(registry.folder(service)))
    try:
        found = await check(conn, completed, seeded)
    finally:
        await conn.close()
    result.stock_taken.update(found.taken)
    result.double_effects += found.double_effects
    result.imbalances += found.imbalances


def _histories(events: list[asyncpg.Record]) -> dict[UUID, list[asyncpg.Record]]:
    grouped: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    for event in events:
        grouped[event["saga_id"]].append(event)
    return grouped


async def _by_saga(config: SystemConfig, service: str, sql: str) -> dict[UUID, str]:
    return {row["saga_id"]: row["status"] for row in await fetch(config, service, sql)}


@asynccontextmanager
async def connected(config: SystemConfig, service: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection of its own to a service's database; jsonb comes back decoded."""
    conn = await asyncpg.connect(config.database_url(service))
    try:
        await conn.set_type_codec("jsonb", encoder=json.dumps_str, decoder=json.loads, schema="pg_catalog")
        yield conn
    finally:
        await conn.close()


async def fetch(config: SystemConfig, service: str, sql: str, *args: Any) -> list[Any]:
    """One query on a service's database, over a connection of its own."""
    async with connected(config, service) as conn:
        rows: list[Any] = await conn.fetch(sql, *args)
        return rows
