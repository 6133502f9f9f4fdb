"""What the orchestrator counts of each decision it writes: step latencies from the command's send,
retries, outcomes and durations; and how a dead letter's reason becomes a label."""

from dataclasses import replace
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
from tests.unit.grouped_workflow import GROUPED

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


def _observed(saga: Saga, decision: Decision | None, now: datetime, engine: Engine = ENGINE) -> Saga:
    assert decision is not None
    metrics.observe(saga, decision, now, T0, engine)
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


def test_a_step_with_its_own_deadline_is_timed_from_its_send_by_that_deadline() -> None:
    first, *rest = ORDER_WORKFLOW.steps
    patient = replace(first, overrides=replace(first.overrides, step_timeout=60.0))
    engine = Engine(replace(ORDER_WORKFLOW, steps=(patient, *rest)), RetryPolicy(step_timeout=TIMEOUT))
    labels = {"step": "createOrder", "kind": "forward", "outcome": "success"}
    total = _value("saga_step_duration_seconds_sum", **labels)
    saga = engine.start(uuid4(), INPUT, _at(0)).saga

    replied = engine.on_reply(saga, ReplyArrived("createOrder", True, {}, None), _at(2))
    _observed(saga, replied, _at(2), engine)

    assert _value("saga_step_duration_seconds_sum", **labels) == total + 2


def _grouped(pay_deadline: float) -> Engine:
    """The grouped workflow (pay and reserve sent together), pay with a deadline of its own."""
    workflow = GROUPED.workflow
    steps = tuple(
        replace(step, overrides=replace(step.overrides, step_timeout=pay_deadline))
        if step.name == "doPay"
        else step
        for step in workflow.steps
    )
    return Engine(replace(workflow, steps=steps), RetryPolicy(step_timeout=TIMEOUT, backoff_base=1))


def _grouped_value(suffix: str, step: str, kind: str, outcome: str) -> float:
    labels = {"workflow": "grouped", "step": step, "kind": kind, "outcome": outcome}
    return REGISTRY.get_sample_value(f"saga_step_duration_seconds_{suffix}", labels) or 0.0


def test_each_run_of_a_group_is_timed_from_its_own_send_though_another_was_sent_since() -> None:
    engine = _grouped(pay_deadline=60.0)
    total = _grouped_value("sum", "doPay", "forward", "success")
    saga = engine.start(uuid4(), {"id": "g-1", "amount": 50, "wrap": "none"}, _at(0)).saga
    saga = _observed(
        saga, engine.on_reply(saga, ReplyArrived("doOpen", True, {}, None), _at(1)), _at(1), engine
    )
    # doReserve times out at 6 and goes out again at 7; doPay, sent at 1, is still out.
    saga = _observed(saga, engine.on_wake(saga, _at(6)), _at(6), engine)
    saga = _observed(saga, engine.on_wake(saga, _at(7)), _at(7), engine)

    paid = engine.on_reply(saga, ReplyArrived("doPay", True, {"paymentId": "p-1"}, None), _at(8))
    _observed(saga, paid, _at(8), engine)

    assert _grouped_value("sum", "doPay", "forward", "success") == total + 7


def test_a_forward_step_answered_while_its_partner_s_failure_turns_the_saga_back_counts_as_forward() -> None:
    engine = _grouped(pay_deadline=TIMEOUT)
    count = _grouped_value("count", "doPay", "forward", "success")
    saga = engine.start(uuid4(), {"id": "g-1", "amount": 50, "wrap": "none"}, _at(0)).saga
    saga = _observed(
        saga, engine.on_reply(saga, ReplyArrived("doOpen", True, {}, None), _at(1)), _at(1), engine
    )
    refused = ReplyArrived("doReserve", False, {}, "no stock")
    saga = _observed(saga, engine.on_reply(saga, refused, _at(2)), _at(2), engine)

    paid = engine.on_reply(saga, ReplyArrived("doPay", True, {"paymentId": "p-1"}, None), _at(3))
    _observed(saga, paid, _at(3), engine)

    assert _grouped_value("count", "doPay", "forward", "success") == count + 1


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
