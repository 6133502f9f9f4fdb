"""The orchestrator's saga store against real Postgres: writers racing on one saga, one wins;
a batch of decisions writes each saga that is still current, and only those."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import partial
from uuid import UUID, uuid4

import asyncpg
import pytest
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision
from saga_orchestrator.persistence import sagas
from saga_orchestrator.persistence.sagas import Change, NewSaga, OutboxMessage
from saga_orchestrator.runtime.correlation import Correlation
from saga_orchestrator.runtime.definitions import Definitions
from saga_orchestrator.runtime.outbox import OutboxPublisher
from saga_orchestrator.runtime.runner import SagaRunner
from saga_orchestrator.workflows import BUNDLED, WORKFLOWS
from saga_orchestrator.workflows.loader import load
from shared import json, tracing
from shared.batching import Batcher
from tests.infrastructure import Infrastructure
from tests.integration.orchestrator_database import orchestrator_database
from tests.spans import RecordingPublisher, recorded

pytestmark = pytest.mark.integration

ENGINE = Engine(WORKFLOWS["order"], RetryPolicy())
INPUT = {"orderId": "o-1", "productId": "p-1", "quantity": 1, "amount": 10.0}


@pytest.fixture
async def pool(infra: Infrastructure, run_id: str) -> AsyncIterator[asyncpg.Pool]:
    """The orchestrator's database, reached as its runtime role, as the orchestrator does."""
    async with orchestrator_database(infra.postgres_url, f"{run_id}_saga_store", 12) as opened:
        yield opened


def _outbox(decision: Decision) -> list[OutboxMessage]:
    return [
        OutboxMessage(queue="q", message_id=uuid4(), body={"n": i}) for i in range(len(decision.dispatches))
    ]


async def test_writers_racing_on_one_version_let_exactly_one_through(pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    started = ENGINE.start(uuid4(), INPUT, now)
    assert await sagas.insert(pool, [NewSaga(f"key-{uuid4()}", started, _outbox(started), now)]) != [None]
    stored = await _load(pool, started.saga.saga_id)
    assert stored is not None
    reply = ReplyArrived("createOrder", success=True, result={}, error=None)
    decision = ENGINE.on_reply(stored.saga, reply, now)
    assert decision is not None

    results = await asyncio.gather(
        *(sagas.update(pool, [Change(stored, decision, _outbox(decision), now)]) for _ in range(10))
    )

    assert sum(result != [None] for result in results) == 1
    saga_id = started.saga.saga_id
    history = await pool.fetchval("SELECT count(*) FROM saga_events WHERE saga_id = $1", saga_id)
    assert history == len(started.records) + len(decision.records)
    outbox = await pool.fetchval("SELECT count(*) FROM outbox WHERE body ? 'n'")
    assert outbox == len(started.dispatches) + len(decision.dispatches)


async def test_a_second_saga_under_the_same_key_is_not_stored(pool: asyncpg.Pool) -> None:
    now, key = datetime.now(UTC), f"key-{uuid4()}"
    first, second = ENGINE.start(uuid4(), INPUT, now), ENGINE.start(uuid4(), INPUT, now)

    results = await asyncio.gather(
        sagas.insert(pool, [NewSaga(key, first, _outbox(first), now)]),
        sagas.insert(pool, [NewSaga(key, second, _outbox(second), now)]),
    )

    assert sorted(result == [None] for result in results) == [False, True]
    assert await pool.fetchval("SELECT count(*) FROM sagas WHERE saga_key = $1", key) == 1


async def _started(pool: asyncpg.Pool, count: int) -> list[sagas.StoredSaga]:
    now = datetime.now(UTC)
    new = [
        NewSaga(f"key-{uuid4()}", d, _outbox(d), now)
        for d in (ENGINE.start(uuid4(), INPUT, now) for _ in range(count))
    ]
    assert None not in await sagas.insert(pool, new)
    loaded = [await _load(pool, n.decision.saga.saga_id) for n in new]
    return [stored for stored in loaded if stored is not None]


async def test_a_batch_writes_the_current_sagas_and_skips_the_stale_one(pool: asyncpg.Pool) -> None:
    first, stale, third = await _started(pool, 3)
    now = datetime.now(UTC)
    reply = ReplyArrived("createOrder", success=True, result={}, error=None)
    changes = []
    for stored in (first, stale, third):
        decision = ENGINE.on_reply(stored.saga, reply, now)
        assert decision is not None
        changes.append(Change(stored, decision, _outbox(decision), now))
    assert await sagas.update(pool, [changes[1]]) != [None]  # another writer got there first

    written = await sagas.update(pool, [changes[0], changes[1], changes[2]])

    assert [ids is not None for ids in written] == [True, False, True]
    for change, ids in zip(changes[::2], written[::2], strict=True):
        assert ids is not None
        rows = await pool.fetch("SELECT id, message_id FROM outbox WHERE id = ANY($1::bigint[])", ids)
        assert {row["message_id"] for row in rows} == {m.message_id for m in change.outbox}
        history = await pool.fetchval(
            "SELECT count(*) FROM saga_events WHERE saga_id = $1", change.stored.saga.saga_id
        )
        assert history == change.stored.version + len(change.decision.records)
    stale_history = await pool.fetchval(
        "SELECT count(*) FROM saga_events WHERE saga_id = $1", stale.saga.saga_id
    )
    assert stale_history == stale.version + len(changes[1].decision.records)  # written once, not twice


async def test_a_batch_of_new_sagas_skips_only_the_taken_key(pool: asyncpg.Pool) -> None:
    now, taken = datetime.now(UTC), f"key-{uuid4()}"
    first = ENGINE.start(uuid4(), INPUT, now)
    assert await sagas.insert(pool, [NewSaga(taken, first, _outbox(first), now)]) != [None]
    batch = [
        NewSaga(key, d, _outbox(d), now)
        for key, d in (
            (f"key-{uuid4()}", ENGINE.start(uuid4(), INPUT, now)),
            (taken, ENGINE.start(uuid4(), INPUT, now)),
        )
    ]

    written = await sagas.insert(pool, batch)

    assert [ids is not None for ids in written] == [True, False]
    assert await _load(pool, batch[1].decision.saga.saga_id) is None
    orphans = await pool.fetchval(
        "SELECT count(*) FROM saga_events WHERE saga_id = $1", batch[1].decision.saga.saga_id
    )
    assert orphans == 0


async def test_a_saga_postgres_cannot_store_fails_alone_and_the_rest_of_its_batch_is_written(
    pool: asyncpg.Pool,
) -> None:
    now, poisoned = datetime.now(UTC), 3
    starts = [
        ENGINE.start(uuid4(), {**INPUT, "note": "\x00" if i == poisoned else "-"}, now) for i in range(8)
    ]
    inserts = Batcher(partial(sagas.insert, pool))

    # Submitted together, so the first write takes them all as one batch.
    written = await asyncio.gather(
        *(inserts.submit(NewSaga(f"key-{uuid4()}", d, _outbox(d), now)) for d in starts),
        return_exceptions=True,
    )

    assert isinstance(written[poisoned], asyncpg.DataError)  # jsonb has no \u0000
    assert all(isinstance(ids, list) for i, ids in enumerate(written) if i != poisoned)
    ids = [d.saga.saga_id for d in starts]
    assert await pool.fetchval("SELECT count(*) FROM sagas WHERE saga_id = ANY($1::uuid[])", ids) == 7


async def _load(pool: asyncpg.Pool, saga_id: UUID) -> sagas.StoredSaga | None:
    return (await sagas.load_many(pool, [saga_id]))[0]


async def test_a_relayed_command_is_sent_in_the_trace_it_was_decided_in(pool: asyncpg.Pool) -> None:
    now = datetime.now(UTC)
    with recorded() as exported:
        provider = tracing.provider()
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("start") as decided:
            started = ENGINE.start(uuid4(), INPUT, now)
            body = tracing.stamp({"sagaId": str(started.saga.saga_id)})
        outbox = [OutboxMessage(queue="q", message_id=uuid4(), body=body)]
        assert await sagas.insert(pool, [NewSaga(f"key-{uuid4()}", started, outbox, now)]) != [None]
        publisher = RecordingPublisher()

        assert await OutboxPublisher(pool, publisher, reply_to="r").relay_stale(0) >= 1

    relayed = [json.loads(sent) for sent in publisher.bodies]
    item = next(
        i for b in relayed for i in (b if isinstance(b, list) else [b]) if i.get("sagaId") == body["sagaId"]
    )
    send = next(
        s for s in exported.get_finished_spans() if s.kind == SpanKind.PRODUCER and s.name == "publish q"
    )
    assert send.parent is not None and send.parent.span_id == decided.get_span_context().span_id
    assert item["traceparent"].split("-")[1:3] == [
        format_trace_id(decided.get_span_context().trace_id),
        format_span_id(send.context.span_id),
    ]


async def test_a_saga_woken_by_its_deadline_sends_its_retry_in_the_trace_it_was_started_in(
    pool: asyncpg.Pool,
) -> None:
    publisher = RecordingPublisher()
    runner = _runner(pool, publisher, "replica-a")
    with recorded() as exported:
        provider = tracing.provider()
        assert provider is not None
        with provider.get_tracer("test").start_as_current_span("POST /saga/start") as request:
            result = await runner.start("order", f"key-{uuid4()}", INPUT, "shop")
        assert result is not None
        saga_id, _ = result
        # Only this saga is due, and at once: its deadline passes, then its backoff.
        for _ in ("deadline", "backoff"):
            await pool.execute(
                "UPDATE saga_steps SET deadline = CASE WHEN saga_id = $1 THEN now() - interval '1 second'"
                " ELSE now() + interval '1 hour' END WHERE deadline IS NOT NULL",
                saga_id,
            )
            assert await runner.wake_due(10) == 1

    started = request.get_span_context()
    sent = [json.loads(body) for body in publisher.bodies]
    assert [item["sagaId"] for item in sent] == [str(saga_id)] * 2  # the command, then its retry
    assert {item["traceparent"].split("-")[1] for item in sent} == {format_trace_id(started.trace_id)}
    wake = next(span for span in exported.get_finished_spans() if span.name == "saga wake")
    assert wake.parent is not None and wake.parent.span_id == started.span_id


async def test_each_history_record_names_the_replica_that_wrote_it(pool: asyncpg.Pool) -> None:
    first, second = (_runner(pool, RecordingPublisher(), name) for name in ("replica-a", "replica-b"))
    result = await first.start("order", f"key-{uuid4()}", INPUT, "shop")
    assert result is not None
    saga_id, _ = result
    written_first = await pool.fetchval("SELECT count(*) FROM saga_events WHERE saga_id = $1", saga_id)

    # The other replica finds the step's deadline passed, as it would once the first had died.
    await second.apply(saga_id, lambda engine, saga, now: engine.on_wake(saga, now + timedelta(minutes=1)))

    replicas = [
        row["replica"]
        for row in await pool.fetch(
            "SELECT replica FROM saga_events WHERE saga_id = $1 ORDER BY seq", saga_id
        )
    ]
    assert len(replicas) > written_first
    assert replicas == ["replica-a"] * written_first + ["replica-b"] * (len(replicas) - written_first)


def _runner(pool: asyncpg.Pool, publisher: RecordingPublisher, replica: str) -> SagaRunner:
    outbox = OutboxPublisher(pool, publisher, reply_to="r")
    correlation = Correlation(secrets.token_urlsafe(16))
    definitions = Definitions(pool, load(BUNDLED))
    return SagaRunner(pool, definitions, outbox, "", correlation, policy=RetryPolicy(), replica=replica)
