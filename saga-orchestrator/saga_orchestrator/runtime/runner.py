"""Runs decisions: load a saga, let its engine decide, store the decision, publish its commands."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from saga_orchestrator.engine.definition import STARTED, RetryPolicy
from saga_orchestrator.engine.machine import Engine
from saga_orchestrator.engine.state import Decision, Saga
from saga_orchestrator.persistence import sagas
from saga_orchestrator.persistence.sagas import Change, NewSaga, OutboxMessage
from saga_orchestrator.runtime import metrics
from saga_orchestrator.runtime.correlation import Correlation
from saga_orchestrator.runtime.definitions import Definitions, Version
from saga_orchestrator.runtime.outbox import OutboxPublisher
from saga_orchestrator.runtime.recent import RecentSagas
from shared import logs, tracing
from shared.batching import Batcher
from shared.contracts import CommandMessage, command_message_id
from shared.topology import command_queue

log = logging.getLogger("saga_orchestrator")

Decide = Callable[[Engine, Saga, datetime], Decision | None]

# Writers racing on one saga are rare and brief; past this many lost races something is wrong.
MAX_WRITE_CONFLICTS = 20


def _on_wake(engine: Engine, saga: Saga, now: datetime) -> Decision | None:
    return engine.on_wake(saga, now)


class UnknownSaga(LookupError):
    pass


@dataclass(frozen=True)
class Applied:
    saga: Saga
    changed: bool


class SagaRunner:
    def __init__(
        self,
        pool: asyncpg.Pool,
        definitions: Definitions,
        publisher: OutboxPublisher,
        queue_prefix: str,
        correlation: Correlation,
        *,
        policy: RetryPolicy,
        replica: str,
    ) -> None:
        self._pool = pool
        self._definitions = definitions
        self._policy = policy
        # One engine per version met, each saga decided on by its own version's.
        self._engines: dict[Version, Engine] = {}
        self._publisher = publisher
        self._prefix = queue_prefix
        self._correlation = correlation
        self._recent = RecentSagas()
        # Group commit: the decisions taken while one batch is being written are written together
        # next, in one statement; never two for one saga, as each names the version it read.
        # Reads of sagas this replica did not write last are batched the same way. Its history
        # records carry its name.
        self._loads: Batcher[UUID, sagas.StoredSaga | None] = Batcher(partial(sagas.load_many, pool))
        self._inserts: Batcher[NewSaga, list[int] | None] = Batcher(
            partial(sagas.insert, pool, replica=replica),
            key=lambda new: (new.decision.saga.workflow, new.key),
        )
        self._updates: Batcher[Change, list[int] | None] = Batcher(
            partial(sagas.update, pool, replica=replica), key=lambda change: change.decision.saga.saga_id
        )

    async def start(
        self, workflow: str, key: str, input: dict[str, Any], owner: str
    ) -> tuple[UUID, int] | None:
        """Starts a saga under `key` for `owner`, on the workflow's current version; its id and that
        version, or None if that key already has a saga."""
        now = datetime.now(UTC)
        current = self._definitions.current[workflow].workflow
        engine = self._engines.get((workflow, current.version)) or await self._engine(
            (workflow, current.version)
        )
        decision = engine.start(uuid4(), input, now)
        messages = self._messages(decision)
        new = NewSaga(key, decision, messages, now, owner, tracing.traceparent())
        outbox_ids = await self._inserts.submit(new)
        if outbox_ids is None:
            return None
        self._recent.remember(sagas.StoredSaga(decision.saga, len(decision.records), now))
        metrics.started(workflow)
        self._log(decision, STARTED)
        await self._publisher.publish(messages, outbox_ids)
        return decision.saga.saga_id, current.version

    async def apply(self, saga_id: UUID, decide: Decide, stored: sagas.StoredSaga | None = None) -> Applied:
        """Decides and stores, deciding again on fresh state whenever another writer got there first.

        A saga this replica wrote last is decided on from memory; if that decides nothing (a
        reply it does not expect), the decision is checked against the database before it counts.
        """
        trusted = stored is not None
        for _ in range(MAX_WRITE_CONFLICTS):
            if stored is None:
                stored, trusted = self._recent.get(saga_id), False
            if stored is None:
                stored, trusted = await self._load(saga_id), True
            version = (stored.saga.workflow, stored.saga.workflow_version)
            engine = self._engines.get(version) or await self._engine(version)
            now = datetime.now(UTC)
            decision = decide(engine, stored.saga, now)
            if decision is None and trusted:
                return Applied(stored.saga, changed=False)
            if decision is not None:
                messages = self._messages(decision)
                outbox_ids = await self._updates.submit(Change(stored, decision, messages, now))
                if outbox_ids is not None:
                    self._recent.remember(
                        sagas.StoredSaga(
                            decision.saga, stored.version + len(decision.records), stored.started_at
                        )
                    )
                    metrics.observe(stored.saga, decision, now, stored.started_at, engine)
                    self._log(decision, stored.saga.status)
                    await self._publisher.publish(messages, outbox_ids)
                    return Applied(decision.saga, changed=True)
            self._recent.forget(saga_id)
            stored = None
        raise RuntimeError(f"saga {saga_id}: gave up after {MAX_WRITE_CONFLICTS} write conflicts")

    async def _engine(self, version: Version) -> Engine:
        definition = await self._definitions.find(version)
        engine = self._engines[version] = Engine(definition.workflow, self._policy)
        return engine

    async def _load(self, saga_id: UUID) -> sagas.StoredSaga:
        stored = await self._loads.submit(saga_id)
        if stored is None:
            raise UnknownSaga(f"unknown saga {saga_id}")
        return stored

    async def wake_due(self, limit: int) -> int:
        """Times out or retries every saga whose deadline or retry time has passed.

        All at once, so that after an outage, when many are due together, their decisions share
        writes and their commands go out together rather than one confirm after another.
        """
        due = await sagas.due(self._pool, limit)
        outcomes = await asyncio.gather(*(self._wake(stored) for stored in due), return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome  # the first failure, for the caller to log; the others were still tried
        return len(due)

    async def _wake(self, stored: sagas.StoredSaga) -> Applied:
        """Wakes the saga in the trace it was started in, so that its retries and timeouts show there."""
        with tracing.resumed(stored.trace, "saga wake", {"saga.id": str(stored.saga.saga_id)}):
            return await self.apply(stored.saga.saga_id, _on_wake, stored)

    def _messages(self, decision: Decision) -> list[OutboxMessage]:
        saga_id = decision.saga.saga_id
        # Stamped with the context the decision was taken in (the start's request, the reply's
        # processing), stored with the outbox row: the send, whenever it happens, is its child.
        return [
            OutboxMessage(
                queue=command_queue(dispatch.service, self._prefix),
                message_id=(message_id := command_message_id(saga_id, dispatch.step_id)),
                body=tracing.stamp(
                    CommandMessage(
                        message_id=message_id,
                        saga_id=saga_id,
                        step_id=dispatch.step_id,
                        command=dispatch.command,
                        deadline=dispatch.deadline,
                        payload=dispatch.payload,
                        correlation_id=self._correlation.sign(saga_id, dispatch.step_id, dispatch.attempt),
                    ).model_dump(mode="json", by_alias=True)
                ),
            )
            for dispatch in decision.dispatches
        ]

    def _log(self, decision: Decision, state: str) -> None:
        """One line per history record, each with the state the saga was in at that point."""
        if not log.isEnabledFor(logging.INFO):
            return
        saga = decision.saga
        key = self._engines[(saga.workflow, saga.workflow_version)].workflow.key
        named = {key: saga.input.get(key)}
        for record in decision.records:
            state = record.state or state
            log.info(
                "saga=%s step=%s state=%s event=%s%s%s%s",
                decision.saga.saga_id,
                record.step or "-",
                state,
                record.type.value,
                f" command={record.command}#{record.attempt}" if record.command else "",
                "" if record.success is None else f" success={record.success}",
                f" error={record.error!r}" if record.error else "",
                extra=logs.fields(saga.saga_id, record.step, **named),
            )
