"""A step's own deadline and attempts, from its definition, override the orchestrator's defaults
for that step alone."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from saga_orchestrator.engine.definition import Action, Overrides, RetryPolicy, Step, Workflow
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Phase

pytestmark = pytest.mark.unit

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DEFAULTS = RetryPolicy(step_timeout=5, max_attempts=3, compensation_max_attempts=5)


def _workflow(second: Overrides) -> Workflow:
    return Workflow(
        "demo",
        key="id",
        version=2,
        steps=(
            Step("one", Action("do1", "DONE_1"), Action("undo1", "UNDONE_1"), ("id",)),
            Step("two", Action("do2", "DONE_2"), Action("undo2", "UNDONE_2"), ("id",), second),
        ),
    )


def test_a_step_deadline_applies_to_that_step_only() -> None:
    engine = Engine(_workflow(Overrides(step_timeout=600)), DEFAULTS)

    first = engine.start(uuid4(), {"id": "x"}, NOW)
    second = engine.on_reply(first.saga, ReplyArrived("do1", True, {}, None), NOW)

    assert first.saga.workflow_version == 2
    assert first.dispatches[0].deadline == NOW + timedelta(seconds=5)
    assert second is not None
    assert second.dispatches[0].deadline == NOW + timedelta(seconds=600)


def test_a_step_with_one_attempt_is_given_up_at_its_first_timeout() -> None:
    engine = Engine(_workflow(Overrides(step_timeout=1, max_attempts=1)), DEFAULTS)
    started = engine.start(uuid4(), {"id": "x"}, NOW)
    at_two = engine.on_reply(started.saga, ReplyArrived("do1", True, {}, None), NOW)
    assert at_two is not None

    woken = engine.on_wake(at_two.saga, NOW + timedelta(seconds=1))

    assert woken is not None
    assert (woken.saga.phase, woken.saga.failed_step) == (Phase.COMPENSATING, "do2")
    assert woken.records[0].error == "no reply within 1s"


def test_a_step_without_overrides_retries_as_often_as_the_defaults_say() -> None:
    engine = Engine(_workflow(Overrides(max_attempts=1)), DEFAULTS)
    started = engine.start(uuid4(), {"id": "x"}, NOW)

    woken = engine.on_wake(started.saga, NOW + timedelta(seconds=5))

    assert woken is not None
    assert woken.saga.phase is Phase.FORWARD
    assert woken.dispatches == []  # a retry is scheduled, not given up
