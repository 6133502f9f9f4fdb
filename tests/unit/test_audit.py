"""The audit holds each ended saga to its own workflow: each step's row against what became of the
step in the history (skipped, done, compensated, failed), and the history against the step kinds."""

from collections.abc import Iterable
from typing import Any
from uuid import UUID, uuid4

import pytest

from ops import registry
from ops.saga_checks import SagaFindings, check_saga
from saga_orchestrator import workflows
from saga_orchestrator.engine.definition import Workflow

pytestmark = pytest.mark.unit

KEY = "order-1"
ORDER = workflows.WORKFLOWS["order"]
EXPRESS = workflows.WORKFLOWS["express_order"]
Event = tuple[str, str | None, bool | None]  # type, command, success


def _ended(
    status: str, workflow: Workflow, rows: dict[str, dict[UUID, str]], saga_id: UUID, events: Iterable[Event]
) -> SagaFindings:
    saga = {"saga_id": saga_id, "workflow": workflow.name, "saga_key": KEY, "status": status}
    history: list[dict[str, Any]] = [
        {"seq": seq, "type": kind, "state": None, "command": command, "success": success}
        for seq, (kind, command, success) in enumerate(
            [("STATE", None, None), *events, ("STATE", None, None)], start=1
        )
    ]
    history[0]["state"], history[-1]["state"] = "STARTED", status
    return check_saga(saga, workflow, rows, history)


def _ran(*commands: str, success: bool = True) -> list[Event]:
    """Each command sent and answered."""
    return [
        event for command in commands for event in (("COMMAND", command, None), ("REPLY", command, success))
    ]


def _rows(saga_id: UUID, **statuses: str) -> dict[str, dict[UUID, str]]:
    rows: dict[str, dict[UUID, str]] = {service: {} for service in registry.services()}
    for service, status in statuses.items():
        rows[service][saga_id] = status
    return rows


def _done(saga_id: UUID, workflow: Workflow) -> dict[str, dict[UUID, str]]:
    return _rows(saga_id, **{service: registry.books(service).done for service in workflow.services})


UNDONE_ORDER = {"order": "CANCELLED", "payment": "REFUNDED", "inventory": "RELEASED"}
ORDER_FAILED_AT_SHIPPING = [
    *_ran("createOrder", "processPayment", "reserveStock"),
    *_ran("createShipment", success=False),
    *_ran("releaseStock", "cancelPayment", "cancelOrder"),
]


@pytest.mark.parametrize("workflow", [ORDER, EXPRESS])
def test_a_completed_saga_needs_every_steps_row_done(workflow: Workflow) -> None:
    saga_id = uuid4()
    rows = _done(saga_id, workflow)
    history = _ran(*(step.name for step in workflow.steps))
    assert _ended("COMPLETED", workflow, rows, saga_id, history) == SagaFindings()

    rows["payment"][saga_id] = "REFUNDED"
    assert _ended("COMPLETED", workflow, rows, saga_id, history).imbalances == [
        f"{KEY} is COMPLETED but its payment row is REFUNDED"
    ]


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_a_step_that_succeeded_in_an_undone_saga_is_undone_and_a_failed_one_left_no_row(status: str) -> None:
    saga_id = uuid4()
    rows = _rows(saga_id, **UNDONE_ORDER)
    assert _ended(status, ORDER, rows, saga_id, ORDER_FAILED_AT_SHIPPING) == SagaFindings()

    # The marker says the compensation came first, but the payment had succeeded.
    rows["payment"][saga_id] = "VOIDED"
    rows["shipping"][saga_id] = "CREATED"
    assert _ended(status, ORDER, rows, saga_id, ORDER_FAILED_AT_SHIPPING).imbalances == [
        f"{KEY} is {status} but its payment row is VOIDED",
        f"{KEY} is {status} but its shipping row is CREATED",
    ]


def test_an_unanswered_step_is_undone_or_holds_the_marker_of_its_compensation() -> None:
    saga_id = uuid4()
    history = [
        *_ran("createOrder"),
        ("COMMAND", "processPayment", None),
        ("TIMEOUT", "processPayment", None),
        *_ran("cancelPayment", "cancelOrder"),
    ]
    for payment in ("REFUNDED", "VOIDED"):
        rows = _rows(saga_id, order="CANCELLED", payment=payment)
        assert _ended("FAILED", ORDER, rows, saga_id, history) == SagaFindings()

    rows = _rows(saga_id, order="CANCELLED")
    assert _ended("FAILED", ORDER, rows, saga_id, history).imbalances == [
        f"{KEY} is FAILED but its payment row is None"
    ]


def test_a_step_skipped_by_its_condition_leaves_its_service_without_a_row() -> None:
    saga_id = uuid4()
    rows = _done(saga_id, EXPRESS)
    del rows["fraud"][saga_id]
    ran = [step.name for step in EXPRESS.steps if step.service != "fraud"]
    skipped: list[Event] = [("SKIPPED", "assessFraud", None), *_ran(*ran)]

    assert _ended("COMPLETED", EXPRESS, rows, saga_id, skipped) == SagaFindings()
    assert _ended("COMPLETED", EXPRESS, rows, saga_id, _ran(*ran)).imbalances == [
        f"{KEY} is COMPLETED but its fraud row is None"
    ]
    rows["fraud"][saga_id] = registry.books("fraud").done
    assert _ended("COMPLETED", EXPRESS, rows, saga_id, skipped).imbalances == [
        f"{KEY} is COMPLETED but its fraud row is CLEARED"
    ]


def test_nothing_is_undone_once_the_pivot_succeeded() -> None:
    saga_id = uuid4()
    shipped = [*_ran("createOrder", "processPayment", "reserveStock", "assessFraud", "createShipment")]
    undone = _ran("withdrawAssessment", "releaseStock", "cancelPayment", "cancelOrder")
    rows = _rows(saga_id, order="CANCELLED", payment="REFUNDED", inventory="RELEASED", fraud="WITHDRAWN")
    rows["shipping"][saga_id] = "CREATED"

    found = _ended("FAILED", EXPRESS, rows, saga_id, [*shipped, *undone])

    compensated = ["cancelOrder", "cancelPayment", "releaseStock", "withdrawAssessment"]
    assert found.imbalances == [
        f"{KEY} is FAILED but its shipping row is CREATED",
        f"{KEY} is FAILED after its pivot createShipment succeeded (compensated {compensated})",
    ]


def test_a_pivot_refused_leaves_no_shipment_and_its_saga_undone() -> None:
    saga_id = uuid4()
    history = [
        ("SKIPPED", "assessFraud", None),
        *_ran("createOrder", "processPayment", "reserveStock"),
        *_ran("createShipment", success=False),
        *_ran("releaseStock", "cancelPayment", "cancelOrder"),
    ]
    rows = _rows(saga_id, **UNDONE_ORDER)
    assert _ended("FAILED", EXPRESS, rows, saga_id, history) == SagaFindings()

    rows["shipping"][saga_id] = "VOIDED"  # a pivot has no compensation, so no marker either
    assert _ended("FAILED", EXPRESS, rows, saga_id, history).imbalances == [
        f"{KEY} is FAILED but its shipping row is VOIDED"
    ]


def test_each_step_of_a_completed_saga_succeeded_exactly_once() -> None:
    saga_id = uuid4()
    rows = _done(saga_id, EXPRESS)
    forward = [step.name for step in EXPRESS.steps]
    retried = [*_ran(*forward[:-1]), *_ran("sendNotification", success=False), *_ran("sendNotification")]
    assert _ended("COMPLETED", EXPRESS, rows, saga_id, retried) == SagaFindings()

    twice = [*retried, ("REPLY", "sendNotification", True)]
    assert _ended("COMPLETED", EXPRESS, rows, saga_id, twice).broken_histories == [
        f"{KEY}: sendNotification succeeded 2 times"
    ]
    never = _ran(*forward[:-1])
    assert _ended("COMPLETED", EXPRESS, rows, saga_id, never).broken_histories == [
        f"{KEY}: sendNotification succeeded 0 times"
    ]


def test_a_completed_saga_that_compensated_anything_is_flagged() -> None:
    saga_id = uuid4()
    history = [*_ran(*(step.name for step in ORDER.steps)), *_ran("cancelShipment")]

    found = _ended("COMPLETED", ORDER, _done(saga_id, ORDER), saga_id, history)

    assert found.imbalances == [f"{KEY} is COMPLETED but compensated ['cancelShipment']"]


def test_a_saga_is_held_only_to_the_books_of_its_own_workflows_services() -> None:
    short = Workflow(name="short", key=ORDER.key, steps=ORDER.steps[:1])
    saga_id = uuid4()
    rows = _rows(saga_id, order=registry.books("order").done)

    assert _ended("COMPLETED", short, rows, saga_id, _ran("createOrder")) == SagaFindings()
    found = _ended("COMPLETED", ORDER, rows, saga_id, _ran(*(step.name for step in ORDER.steps)))
    assert len(found.imbalances) == len(ORDER.services) - 1
