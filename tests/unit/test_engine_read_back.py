"""A saga read back from storage decides as it would have in memory, though storage lists its runs
in another order than the one they were added in."""

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from saga_orchestrator.engine.definition import Action, Overrides, RetryPolicy, Step, Workflow
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision, Saga
from tests.unit.read_back import read_back

pytestmark = pytest.mark.unit

T0 = datetime(2030, 1, 1, tzinfo=UTC)
POLICY = RetryPolicy(step_timeout=5.0, max_attempts=2, compensation_max_attempts=1)


def _group(size: int, *overrides: Overrides) -> Engine:
    """Compensable steps sent together."""
    steps = tuple(
        Step(
            f"service{n}",
            Action(f"do{n}", f"DID{n}"),
            Action(f"undo{n}", f"UNDID{n}"),
            ("id",),
            overrides=overrides[n] if n < len(overrides) else Overrides(),
            group=1,
        )
        for n in range(size)
    )
    return Engine(Workflow("group", key="id", steps=steps), POLICY)


def _kept(decision: Decision | None) -> Saga:
    assert decision is not None
    return decision.saga


def _reply(engine: Engine, saga: Saga, command: str, success: bool, now: datetime) -> Saga:
    return _kept(engine.on_reply(saga, ReplyArrived(command, success, {}, None if success else "no"), now))


def _listed_otherwise(saga: Saga) -> Saga:
    stored = read_back(saga, saga.runs)
    assert [(run.step, run.kind) for run in stored.runs] != [(run.step, run.kind) for run in saga.runs]
    return stored


def test_deadlines_passed_at_once_are_handled_in_the_same_order_in_memory_and_read_back() -> None:
    engine = _group(2)
    saga = engine.start(UUID(int=1), {"id": "g-1"}, T0).saga
    saga = _reply(engine, saga, "do0", True, T0)
    # At the same instant: do0 is undone while do1 is still out, and both are due at once.
    saga = _kept(engine.cancel(saga, T0, "a-client"))
    stored = _listed_otherwise(saga)
    assert saga.wake_at is not None

    in_memory = engine.on_wake(saga, saga.wake_at)
    from_storage = engine.on_wake(stored, saga.wake_at)

    assert in_memory is not None and from_storage is not None
    assert in_memory.records == from_storage.records
    assert in_memory.dispatches == from_storage.dispatches


def test_compensations_parked_together_are_resumed_in_the_same_order_in_memory_and_read_back() -> None:
    engine = _group(3, Overrides(), Overrides(), Overrides(step_timeout=1.0))
    saga = engine.start(UUID(int=2), {"id": "g-2"}, T0).saga
    now = T0 + timedelta(seconds=1)
    saga = _kept(engine.on_wake(saga, now))  # do2 went unanswered: it waits to be sent again
    # At one instant: do0 refuses, so do2 is abandoned and undone; then do1 succeeds and is undone.
    saga = _reply(engine, saga, "do0", False, now)
    saga = _reply(engine, saga, "do1", True, now)
    while saga.wake_at is not None:  # both compensations time out, and park
        now = saga.wake_at
        saga = _kept(engine.on_wake(saga, now))
    stored = _listed_otherwise(saga)

    in_memory = engine.resume(saga, now, "an-operator")
    from_storage = engine.resume(stored, now, "an-operator")

    assert in_memory is not None and from_storage is not None
    assert [d.command for d in in_memory.dispatches] == ["undo1", "undo2"]
    assert in_memory.records == from_storage.records
    assert in_memory.dispatches == from_storage.dispatches
