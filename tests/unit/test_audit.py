"""The audit reads each service's row against what that service's books say it may hold once its
saga has ended."""

from typing import Any
from uuid import UUID, uuid4

import pytest

from ops import audit, registry

pytestmark = pytest.mark.unit

KEY = "order-1"


def _checked(status: str, rows: dict[str, dict[UUID, str]], saga_id: UUID) -> audit.Audit:
    saga: Any = {"saga_id": saga_id, "saga_key": KEY, "status": status}
    history: Any = [
        {"seq": 1, "type": "STATE", "state": "STARTED", "command": None},
        {"seq": 2, "type": "STATE", "state": status, "command": None},
    ]
    result = audit.Audit()
    audit._check_saga(result, saga, rows, history)
    return result


def test_a_completed_saga_needs_every_services_row_done() -> None:
    saga_id = uuid4()
    rows = {service: {saga_id: registry.books(service).done} for service in registry.services()}
    assert _checked("COMPLETED", rows, saga_id).imbalances == []

    rows["payment"][saga_id] = registry.books("payment").undone
    assert _checked("COMPLETED", rows, saga_id).imbalances == [
        f"{KEY} is COMPLETED but its payment row is REFUNDED"
    ]


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_an_undone_saga_leaves_each_service_undone_marked_or_untouched(status: str) -> None:
    saga_id = uuid4()
    books = {service: registry.books(service) for service in registry.services()}
    rows = {service: {saga_id: b.undone} for service, b in books.items()}
    rows["payment"][saga_id] = books["payment"].marker
    del rows["shipping"][saga_id]
    assert _checked(status, rows, saga_id).imbalances == []

    rows["order"][saga_id] = books["order"].done
    assert _checked(status, rows, saga_id).imbalances == [f"{KEY} is {status} but its order row is CREATED"]
