"""The dashboard's step marks and timeline, derived from histories the engine writes."""

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest

from saga_orchestrator.engine.state import Record
from saga_orchestrator.ui.progress import Mark, steps, timeline
from saga_orchestrator.workflows import WORKFLOWS
from tests.unit.engine_driver import T0, Driver, compensating, park

pytestmark = pytest.mark.unit

WORKFLOW = WORKFLOWS["order"]


def _events(records: list[Record]) -> list[dict[str, Any]]:
    return [{**asdict(r), "at": T0} for r in records]


def _marks(driver: Driver) -> dict[str, tuple[Mark, bool]]:
    finished = not driver.saga.active and driver.saga.status != "COMPENSATION_FAILED"
    return {s.name: (s.mark, s.compensating) for s in steps(WORKFLOW, _events(driver.records), finished)}


def test_a_running_saga_has_done_running_and_pending_steps() -> None:
    marks = _marks(Driver().reach("reserveStock"))
    assert [mark for mark, _ in marks.values()] == [Mark.DONE, Mark.DONE, Mark.RUNNING, Mark.PENDING]


def test_a_completed_saga_has_every_step_done() -> None:
    assert {mark for mark, _ in _marks(Driver().settle()).values()} == {Mark.DONE}


def test_a_failed_step_is_failed_the_ones_before_compensated_and_the_rest_skipped() -> None:
    driver = Driver().reach("reserveStock")
    driver.fail(error="out of stock")
    marks = _marks(driver.settle())
    assert marks["reserveStock"] == (Mark.FAILED, False)
    assert marks["processPayment"] == marks["createOrder"] == (Mark.COMPENSATED, True)
    assert marks["createShipment"] == (Mark.SKIPPED, False)


def test_a_compensation_out_is_running_and_one_run_out_is_failed() -> None:
    driver = compensating("releaseStock")
    assert _marks(driver)["reserveStock"] == (Mark.RUNNING, True)
    assert _marks(park(driver))["reserveStock"] == (Mark.FAILED, True)
    assert _marks(driver)["createOrder"] == (Mark.DONE, False), "not compensated yet: still shown done"


def test_the_timeline_gives_each_reply_the_time_since_its_command() -> None:
    driver = Driver()
    driver.later(0.25)
    driver.succeed()
    events = _events(driver.records)
    for event, seconds in zip(events, (0, 0, 0.25, 0.25, 0.25), strict=True):
        event["at"] = T0 + timedelta(seconds=seconds)

    entries = timeline(events)

    assert [(e.type, e.command, e.took_ms, e.outcome) for e in entries] == [
        ("STATE", None, None, None),
        ("COMMAND", "createOrder", None, None),
        ("REPLY", "createOrder", 250.0, "ok"),
        ("STATE", None, None, None),
        ("COMMAND", "processPayment", None, None),
    ]
