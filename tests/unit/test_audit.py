"""The audit reads each service's row against what that service's books say it may hold once its
saga has ended."""

from typing import Any
from uuid import UUID, uuid4

import pytest

from ops import audit, registry
from saga_orchestrator import workflows
from saga_orchestrator.engine.definition import Workflow

pytestmark = pytest.mark.unit

KEY = "order-1"


def _checked(
    status: str,
    rows: dict[str, dict[UUID, str]],
    saga_id: UUID,
    workflow: str = "order",
    skipped: tuple[str, ...] = (),
) -> audit.Audit:
    saga: Any = {"saga_id": saga_id, "workflow": workflow, "saga_key": KEY, "status": status}
    history: Any = [
        {"seq": 1, "type": "STATE", "state": "STARTED", "command": None},
        *({"seq": 2, "type": "SKIPPED", "state": None, "command": command} for command in skipped),
        {"seq": 2 + len(skipped), "type": "STATE", "state": status, "command": None},
    ]
    result = audit.Audit()
    audit._check_saga(result, saga, rows, history)
    return result


def test_a_completed_saga_needs_every_services_row_done() -> None:
    saga_id = uuid4()
    rows = {service: {saga_id: registry.books(service).done} for service in registry.services()}
    assert _checked("COMPLETED", rows, saga_id).imbalances == []
    assert _checked("COMPLETED", rows, saga_id, workflow="express_order").imbalances == []

    rows["payment"][saga_id] = "REFUNDED"
    assert _checked("COMPLETED", rows, saga_id).imbalances == [
        f"{KEY} is COMPLETED but its payment row is REFUNDED"
    ]


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_an_undone_saga_leaves_each_service_undone_marked_or_untouched(status: str) -> None:
    saga_id = uuid4()
    books = {service: registry.books(service) for service in registry.services()}
    # A service with no compensation has no row: its step comes after any that can fail.
    rows = {service: {saga_id: b.undone} if b.undone else {} for service, b in books.items()}
    rows["payment"][saga_id] = "VOIDED"  # the marker: the payment's compensation came first
    del rows["shipping"][saga_id]
    assert _checked(status, rows, saga_id).imbalances == []

    rows["order"][saga_id] = books["order"].done
    assert _checked(status, rows, saga_id).imbalances == [f"{KEY} is {status} but its order row is CREATED"]


def test_a_saga_is_held_only_to_the_books_of_its_own_workflows_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order = workflows.WORKFLOWS["order"]
    short = Workflow(name="short", key=order.key, steps=order.steps[:1])
    monkeypatch.setattr(workflows, "WORKFLOWS", {**workflows.WORKFLOWS, short.name: short})
    saga_id = uuid4()
    rows: dict[str, dict[UUID, str]] = {service: {} for service in registry.services()}
    rows["order"][saga_id] = registry.books("order").done

    assert _checked("COMPLETED", rows, saga_id, workflow="short").imbalances == []
    assert len(_checked("COMPLETED", rows, saga_id).imbalances) == len(order.services) - 1


def test_a_step_skipped_by_its_condition_leaves_its_service_without_a_row() -> None:
    saga_id = uuid4()
    rows = {service: {saga_id: registry.books(service).done} for service in registry.services()}
    del rows["fraud"][saga_id]

    assert _checked("COMPLETED", rows, saga_id, "express_order", skipped=("assessFraud",)).imbalances == []
    assert _checked("COMPLETED", rows, saga_id, "express_order").imbalances == [
        f"{KEY} is COMPLETED but its fraud row is None"
    ]
    rows["fraud"][saga_id] = registry.books("fraud").done
    assert _checked("COMPLETED", rows, saga_id, "express_order", skipped=("assessFraud",)).imbalances == [
        f"{KEY} is COMPLETED but its fraud row is CLEARED"
    ]
