"""The dashboard's step marks and timeline, derived from histories the engine writes."""

from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest

from saga_orchestrator.engine.state import Phase, Record
from saga_orchestrator.ui.progress import Mark, stages, steps, timeline
from saga_orchestrator.workflows import WORKFLOWS
from tests.unit.engine_driver import T0, Driver, compensating, park
from tests.unit.grouped_workflow import GROUPED, GroupedSaga

pytestmark = pytest.mark.unit

WORKFLOW = WORKFLOWS["order"]


def _events(records: list[Record], replica: str | None = None) -> list[dict[str, Any]]:
    return [{**asdict(r), "at": T0, "replica": replica} for r in records]


def _marks(driver: Driver) -> dict[str, tuple[Mark, bool]]:
    finished = driver.saga.phase is Phase.DONE
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


def _stages(saga: GroupedSaga) -> list[list[tuple[str, Mark]]]:
    """Each stage of the grouped saga as its steps' names and marks."""
    finished = saga.saga.phase is Phase.DONE
    drawn = stages(GROUPED.workflow, _events(saga.records), finished)
    return [[(step.name, step.mark) for step in stage.steps] for stage in drawn]


def test_a_group_is_one_stage_and_a_step_whose_condition_does_not_hold_is_skipped() -> None:
    saga = GroupedSaga(amount=50).reply("doOpen").reply("doReserve")
    assert _stages(saga) == [
        [("doOpen", Mark.DONE)],
        [("doPay", Mark.RUNNING), ("doReserve", Mark.DONE)],
        [("doCheck", Mark.PENDING)],
        [("doShip", Mark.PENDING)],
        [("doNotify", Mark.PENDING)],
    ]

    saga.reply("doPay", paymentId="p-1")

    assert _stages(saga)[1:4] == [
        [("doPay", Mark.DONE), ("doReserve", Mark.DONE)],
        [("doCheck", Mark.SKIPPED)],  # 50 is not above 1000, and nothing is wrapped
        [("doShip", Mark.RUNNING)],
    ]


def test_a_failed_step_of_a_group_is_failed_its_partner_compensated_and_the_rest_not_reached() -> None:
    saga = GroupedSaga().reply("doOpen").reply("doPay", paymentId="p-1").reply("doReserve", success=False)
    assert _stages(saga)[:2] == [
        [("doOpen", Mark.DONE)],
        [("doPay", Mark.RUNNING), ("doReserve", Mark.FAILED)],
    ]

    saga.reply("undoPay").reply("undoOpen")

    assert saga.saga.status == "FAILED"
    assert _stages(saga) == [
        [("doOpen", Mark.COMPENSATED)],
        [("doPay", Mark.COMPENSATED), ("doReserve", Mark.FAILED)],
        [("doCheck", Mark.SKIPPED)],
        [("doShip", Mark.SKIPPED)],
        [("doNotify", Mark.SKIPPED)],
    ]


def test_a_step_past_the_pivot_is_running_while_retried_and_failed_once_parked() -> None:
    saga = GroupedSaga(amount=5000).reply("doOpen").reply("doPay", paymentId="p-1").reply("doReserve")
    saga.reply("doCheck").reply("doShip").reply("doNotify", success=False)
    assert _stages(saga)[2:] == [
        [("doCheck", Mark.DONE)],
        [("doShip", Mark.DONE)],
        [("doNotify", Mark.RUNNING)],
    ]

    saga.park("doNotify")

    assert saga.saga.status == "COMPLETION_FAILED"
    notify = steps(GROUPED.workflow, _events(saga.records), finished=False)[-1]
    assert (notify.mark, notify.compensating) == (Mark.FAILED, False)


def test_each_step_shows_its_kind_and_its_condition_as_text() -> None:
    drawn = stages(GROUPED.workflow, [], finished=False)

    assert [stage.parallel for stage in drawn] == [False, True, False, False, False]
    assert {step.name: (step.kind.value, step.when) for stage in drawn for step in stage.steps} == {
        "doOpen": ("compensable", None),
        "doPay": ("compensable", None),
        "doReserve": ("compensable", None),
        "doCheck": (
            "compensable",
            'input.amount > 1000 or (input.wrap in ["gift", "box"] and doPay.paymentId != null)',
        ),
        "doShip": ("pivot", None),
        "doNotify": ("retriable", None),
    }


def test_the_timeline_names_the_replica_of_each_event_and_none_for_older_ones() -> None:
    driver = Driver()
    driver.succeed()
    older, newer = _events(driver.records[:2]), _events(driver.records[2:], replica="orchestrator-2")

    entries = timeline(older + newer)

    assert [e.replica for e in entries] == [None, None, "orchestrator-2", "orchestrator-2", "orchestrator-2"]
