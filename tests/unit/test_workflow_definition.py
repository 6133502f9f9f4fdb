"""Workflows as data: the order and express order workflows' shapes, the definitions refused, the retry
policy's arithmetic."""

import pytest

from saga_orchestrator.engine.conditions import Compare, Ref
from saga_orchestrator.engine.definition import Action, RetryPolicy, Step, StepKind, Workflow
from saga_orchestrator.workflows import WORKFLOWS

ORDER_WORKFLOW = WORKFLOWS["order"]
EXPRESS_WORKFLOW = WORKFLOWS["express_order"]

pytestmark = pytest.mark.unit

RESERVED = ["STARTED", "COMPLETED", "FAILED", "CANCELLED", "COMPENSATION_FAILED"]


def _step(
    n: int, *, reaches: str | None = None, undone: str | None = None, command: str | None = None
) -> Step:
    return Step(
        service=f"service{n}",
        action=Action(command or f"do{n}", reaches=reaches or f"DONE_{n}"),
        compensation=Action(f"undo{n}", reaches=undone or f"UNDONE_{n}"),
        carries=("id",),
    )


def test_the_order_workflow_runs_its_four_steps_in_the_specified_order() -> None:
    steps = ORDER_WORKFLOW.steps

    assert (ORDER_WORKFLOW.name, ORDER_WORKFLOW.key) == ("order", "orderId")
    assert [(s.service, s.name, s.action.reaches) for s in steps] == [
        ("order", "createOrder", "ORDER_CREATED"),
        ("payment", "processPayment", "PAYMENT_PROCESSED"),
        ("inventory", "reserveStock", "STOCK_RESERVED"),
        ("shipping", "createShipment", "SHIPPED"),
    ]
    assert [(s.compensation.command, s.compensation.reaches) for s in steps if s.compensation] == [
        ("cancelOrder", "ORDER_CANCELLED"),
        ("cancelPayment", "PAYMENT_CANCELLED"),
        ("releaseStock", "STOCK_RELEASED"),
        ("cancelShipment", "SHIPMENT_CANCELLED"),
    ]
    assert ORDER_WORKFLOW.services == ("order", "payment", "inventory", "shipping")
    assert ORDER_WORKFLOW.commands == {s.name for s in steps} | {
        s.compensation.command for s in steps if s.compensation
    }


def test_the_express_order_pays_and_reserves_at_once_checks_fraud_then_ships_and_notifies() -> None:
    steps = EXPRESS_WORKFLOW.steps

    assert (EXPRESS_WORKFLOW.name, EXPRESS_WORKFLOW.key) == ("express_order", "orderId")
    assert [(s.service, s.name, s.kind) for s in steps] == [
        ("order", "createOrder", StepKind.COMPENSABLE),
        ("payment", "processPayment", StepKind.COMPENSABLE),
        ("inventory", "reserveStock", StepKind.COMPENSABLE),
        ("fraud", "assessFraud", StepKind.COMPENSABLE),
        ("shipping", "createShipment", StepKind.PIVOT),
        ("notification", "sendNotification", StepKind.RETRIABLE),
    ]
    assert EXPRESS_WORKFLOW.stages == ((0,), (1, 2), (3,), (4,), (5,))
    assert steps[3].when == Compare(Ref("input", "amount"), "gt", 1000)
    # The payment's id goes to the fraud check, the shipment and the refund; the shipment's id to
    # the notification.
    assert steps[1].outputs == ("paymentId",) and steps[4].outputs == ("shipmentId",)
    assert steps[1].compensation == Action(
        "cancelPayment", "PAYMENT_CANCELLED", ("processPayment.paymentId",)
    )
    assert "processPayment.paymentId" in steps[3].carries and "processPayment.paymentId" in steps[4].carries
    assert steps[5].carries == ("orderId", "createShipment.shipmentId")
    assert [s.compensation for s in steps[4:]] == [None, None]


def test_every_order_step_carries_the_key_and_only_input_fields() -> None:
    fields = {"orderId", "productId", "quantity", "amount"}

    assert ORDER_WORKFLOW.steps[0].carries == ("orderId", "productId", "quantity", "amount")
    assert all(ORDER_WORKFLOW.key in s.carries and set(s.carries) <= fields for s in ORDER_WORKFLOW.steps)


def test_a_well_formed_workflow_is_accepted_and_lists_each_service_once() -> None:
    twice = Step("service1", Action("again", "AGAIN"), Action("unagain", "UNAGAIN"), ("id",))

    workflow = Workflow("demo", key="id", steps=(_step(1), _step(2), twice))

    assert workflow.services == ("service1", "service2")
    assert workflow.commands == {"do1", "undo1", "do2", "undo2", "again", "unagain"}


def test_a_workflow_without_steps_is_refused() -> None:
    with pytest.raises(ValueError, match="no steps"):
        Workflow("empty", key="id", steps=())


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param((_step(1, reaches="SAME"), _step(2, reaches="SAME")), id="two-actions"),
        pytest.param((_step(1, undone="SAME"), _step(2, undone="SAME")), id="two-compensations"),
        pytest.param((_step(1, reaches="SAME"), _step(2, undone="SAME")), id="action-and-compensation"),
        pytest.param((_step(1, reaches="SAME", undone="SAME"),), id="within-one-step"),
    ],
)
def test_a_state_name_used_twice_is_refused(steps: tuple[Step, ...]) -> None:
    with pytest.raises(ValueError, match="state name"):
        Workflow("demo", key="id", steps=steps)


@pytest.mark.parametrize(
    "steps",
    [
        pytest.param((_step(1, command="do"), _step(2, command="do")), id="two-actions"),
        pytest.param((_step(1, command="undo2"), _step(2)), id="action-and-compensation"),
        pytest.param((_step(1, command="undo1"),), id="within-one-step"),
    ],
)
def test_a_command_name_used_twice_is_refused(steps: tuple[Step, ...]) -> None:
    with pytest.raises(ValueError, match="command name"):
        Workflow("demo", key="id", steps=steps)


@pytest.mark.parametrize("name", RESERVED)
@pytest.mark.parametrize("where", ["reaches", "undone"])
def test_a_step_state_named_like_an_engine_state_is_refused(name: str, where: str) -> None:
    with pytest.raises(ValueError, match="state name"):
        Workflow("demo", key="id", steps=(_step(1), _step(2, **{where: name})))


@pytest.mark.parametrize(
    ("attempt", "wait"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 16.0), (7, 30.0), (20, 30.0)],
)
def test_the_backoff_doubles_with_each_attempt_up_to_its_cap(attempt: int, wait: float) -> None:
    assert RetryPolicy(backoff_base=0.5, backoff_cap=30.0).backoff(attempt) == wait


def test_a_policy_allows_separate_attempt_counts_for_steps_and_compensations() -> None:
    policy = RetryPolicy(max_attempts=3, compensation_max_attempts=7)

    assert (policy.attempts(compensating=False), policy.attempts(compensating=True)) == (3, 7)
