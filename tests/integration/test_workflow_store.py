"""Workflow versions against real Postgres: each definition stored once by content hash, a changed
definition refused under a version already stored, keys unique within a workflow only, and the
running sagas counted by the version they are pinned to."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import pytest

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine
from saga_orchestrator.persistence import definitions as stored
from saga_orchestrator.persistence import sagas
from saga_orchestrator.persistence.sagas import NewSaga
from saga_orchestrator.runtime.definitions import Definitions, UnknownDefinition
from saga_orchestrator.workflows import BUNDLED
from saga_orchestrator.workflows.loader import Definition, InvalidWorkflow, load
from saga_orchestrator.workflows.model import WorkflowFile
from tests.infrastructure import Infrastructure
from tests.integration.orchestrator_database import orchestrator_database

pytestmark = pytest.mark.integration

ORDER = load(BUNDLED)["order"]
INPUT = {"orderId": "o-1", "productId": "p-1", "quantity": 1, "amount": "10.00"}


def _changed(version: int, description: str) -> Definition:
    source = ORDER.source.model_dump()
    return Definition.of(
        WorkflowFile.model_validate({**source, "version": version, "description": description}), "v.yaml"
    )


@pytest.fixture
async def pool(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    """The orchestrator's database, reached as its runtime role, as the orchestrator does."""
    async with orchestrator_database(infra.postgres_url, f"{run_id}_workflow_store", 4) as opened:
        yield opened


async def _start(pool: asyncpg.Pool, definition: Definition, key: str) -> bool:
    now = datetime.now(UTC)
    decision = Engine(definition.workflow, RetryPolicy()).start(uuid4(), INPUT, now)
    return await sagas.insert(pool, [NewSaga(key, decision, [], now)]) != [None]


async def test_each_definition_is_stored_once_however_often_it_is_deployed(pool: asyncpg.Pool) -> None:
    await stored.store(pool, [ORDER])
    await stored.store(pool, [ORDER])

    rows = await pool.fetch("SELECT digest, workflow, version FROM workflow_definitions")

    assert [tuple(row) for row in rows] == [(ORDER.digest, "order", 1)]


async def test_a_changed_definition_under_a_stored_version_is_refused(pool: asyncpg.Pool) -> None:
    await stored.store(pool, [ORDER])

    with pytest.raises(
        InvalidWorkflow, match=r"^v\.yaml: version 1 of workflow 'order' is stored with other"
    ):
        await stored.store(pool, [_changed(1, "edited in place")])

    await stored.store(pool, [_changed(2, "a new version")])
    assert await pool.fetchval("SELECT count(*) FROM workflow_definitions") == 2


async def test_a_version_no_longer_deployed_is_read_back_from_the_database(pool: asyncpg.Pool) -> None:
    v2 = _changed(2, "the next one")
    await stored.store(pool, [ORDER, v2])
    deployed = Definitions(pool, {"order": v2})

    older = await deployed.find(("order", 1))

    assert (older.digest, older.workflow) == (ORDER.digest, ORDER.workflow)
    assert older.origin == f"database ({ORDER.digest})"
    assert await deployed.find(("order", 1)) is older  # read once, then kept
    with pytest.raises(UnknownDefinition):
        await deployed.find(("order", 3))


async def test_a_key_is_unique_within_its_workflow_only(pool: asyncpg.Pool) -> None:
    other = Definition.of(WorkflowFile.model_validate({**ORDER.source.model_dump(), "name": "reorder"}), "r")
    await stored.store(pool, [ORDER, other])
    key = f"key-{uuid4()}"

    assert await _start(pool, ORDER, key)
    assert await _start(pool, other, key)
    assert not await _start(pool, ORDER, key)


async def test_running_sagas_are_counted_by_the_version_they_are_pinned_to(pool: asyncpg.Pool) -> None:
    v2 = _changed(2, "the next one")
    await stored.store(pool, [ORDER, v2])
    keys = {definition.workflow.version: f"key-{uuid4()}" for definition in (ORDER, v2)}
    for definition in (ORDER, v2):
        assert await _start(pool, definition, keys[definition.workflow.version])
    assert await _start(pool, ORDER, f"key-{uuid4()}")
    await pool.execute("UPDATE sagas SET phase = 'DONE' WHERE saga_key = $1", keys[2])

    rows = await stored.running(pool)

    assert [(r["workflow"], r["version"], r["running"]) for r in rows] == [("order", 1, 2), ("order", 2, 0)]
