"""What the orchestrator counts of each decision it writes: step latencies from the command's send,
retries, outcomes and durations; and how a dead letter's reason becomes a label."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision, Saga
from saga_orchestrator.runtime import metrics
from saga_orchestrator.workflows import WORKFLOWS
from shared.metrics import reason_label

pytestmark = pytest.mark.unit

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TIMEOUT = 5.0
INPUT = {"orderId": "o-1", "productId": "item-001", "quantity": 1, "amount": "10"}
ORDER_WORKFLOW = WORKFLOWS["order"]
ENGINE = Engine(ORDER_WORKFLOW, RetryPolicy(step_timeout=TIMEOUT, backoff_base=1))


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"workflow": "order", **labels}) or 0.0


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _observed(saga: Saga, decision: Decision | None, now: datetime) -> Saga:
    assert decision is not None
    metrics.observe(saga, decision, now, T0, TIMEOUT)
    return decision.saga


def _reply(saga: Saga, step: str, success: bool, seconds: float) -> Saga:
    return _observed(
        saga, ENGINE.on_reply(saga, ReplyArrived(step, success, {}, None), _at(seconds)), _at(seconds)
    )


def test_a_reply_ends_its_step_as_long_after_its_command_as_it_came() -> None:
    labels = {"step": "createOrder", "kind": "forward", "outcome": "success"}
    count, total = (_value(f"saga_step_duration_seconds_{s}", **labels) for s in ("count", "sum"))
    saga = ENGINE.start(uuid4(), INPUT, _at(0)).saga

    _reply(saga, "createOrder", True, 1.5)

    assert _value("saga_step_duration_seconds_count", **labels) == count + 1
    assert _value("saga_step_duration_seconds_sum", **labels) == total + 1.5


def test_a_saga_that_completes_is_counted_once_with_its_duration() -> None:
    finished = _value("saga_finished_total", status="COMPLETED")
    took = _value("saga_duration_seconds_sum", status="COMPLETED")
    saga = ENGINE.start(uuid4(), INPUT, _at(0)).saga

    for i, step in enumerate(ORDER_WORKFLOW.steps, start=1):
        saga = _reply(saga, step.name, True, i)

    assert saga.status == "COMPLETED"
    assert _value("saga_finished_total", status="COMPLETED") == finished + 1
    assert _value("saga_duration_seconds_sum", status="COMPLETED") == took + len(ORDER_WORKFLOW.steps)


def test_a_compensation_s_failure_and_its_retry_are_counted_as_such() -> None:
    failed = {"step": "createOrder", "kind": "compensation", "outcome": "failure"}
    before = _value("saga_step_duration_seconds_count", **failed)
    retries = _value("saga_step_retries_total", step="createOrder")
    saga = ENGINE.start(uuid4(), INPUT, _at(0)).saga
    saga = _reply(saga, "createOrder", True, 1)
    saga = _reply(saga, "processPayment", False, 2)  # declined: cancelOrder goes out

    saga = _reply(saga, "cancelOrder", False, 3)
    _observed(saga, ENGINE.on_wake(saga, _at(10)), _at(10))  # the backoff passed: sent again

    assert _value("saga_step_duration_seconds_count", **failed) == before + 1
    assert _value("saga_step_retries_total", step="createOrder") == retries + 1


def test_a_timeout_ends_its_step_at_the_deadline() -> None:
    labels = {"step": "createOrder", "kind": "forward", "outcome": "timeout"}
    count, total = (_value(f"saga_step_duration_seconds_{s}", **labels) for s in ("count", "sum"))
    saga = ENGINE.start(uuid4(), INPUT, _at(0)).saga

    _observed(saga, ENGINE.on_wake(saga, _at(TIMEOUT)), _at(TIMEOUT))

    assert _value("saga_step_duration_seconds_count", **labels) == count + 1
    assert _value("saga_step_duration_seconds_sum", **labels) == total + TIMEOUT


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        ("Invalid JSON: unexpected character: line 1 column 1 (char 0)", "invalid json"),
        ("unknown command 'launchRocket'", "unknown command"),
        (
            "2 validation errors for CommandMessage\nsagaId\n  Field required",
            "validation errors for commandmessage",
        ),
        ("command sent by 'saga.order', not by the orchestrator 'saga.orchestrator'", "command sent by"),
        ("message id 6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f001 is not that of saga", "message id"),
        ("", "other"),
    ],
)
def test_a_dead_letter_s_reason_is_labelled_by_its_first_words_without_the_values(
    reason: str, label: str
) -> None:
    assert reason_label(reason) == label
