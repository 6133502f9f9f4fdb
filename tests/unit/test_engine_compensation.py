"""Undoing the order saga: after a failed step, on cancel, and when a compensation itself keeps failing."""

from datetime import timedelta

import pytest

from saga_orchestrator.engine.state import Awaiting, Phase, RecordType
from tests.unit.engine_driver import (
    FORWARD,
    UNDOES,
    Driver,
    brief,
    compensating,
    park,
)

pytestmark = pytest.mark.unit

STARTED = ["STARTED"]
UP_TO_SHIPPED = ["STARTED", "ORDER_CREATED", "PAYMENT_PROCESSED", "STOCK_RESERVED", "SHIPPED"]
ALL_UNDONE = ["SHIPMENT_CANCELLED", "STOCK_RELEASED", "PAYMENT_CANCELLED", "ORDER_CANCELLED"]
UNDOS = ["cancelShipment", "releaseStock", "cancelPayment", "cancelOrder"]

# (failing step, compensations sent, states recorded): the failed step itself is not undone.
FAILURES = [
    ("createOrder", [], [*STARTED, "FAILED"]),
    ("processPayment", ["cancelOrder"], [*UP_TO_SHIPPED[:2], *ALL_UNDONE[3:], "FAILED"]),
    ("reserveStock", ["cancelPayment", "cancelOrder"], [*UP_TO_SHIPPED[:3], *ALL_UNDONE[2:], "FAILED"]),
    ("createShipment", UNDOS[1:], [*UP_TO_SHIPPED[:4], *ALL_UNDONE[1:], "FAILED"]),
]
# (step in flight, compensations sent, states recorded): the step in flight is waited for; here it
# succeeds, so it is undone too.
CANCELS = [
    ("createOrder", UNDOS[3:], [*UP_TO_SHIPPED[:2], *ALL_UNDONE[3:], "CANCELLED"]),
    ("processPayment", UNDOS[2:], [*UP_TO_SHIPPED[:3], *ALL_UNDONE[2:], "CANCELLED"]),
    ("reserveStock", UNDOS[1:], [*UP_TO_SHIPPED[:4], *ALL_UNDONE[1:], "CANCELLED"]),
    ("createShipment", UNDOS, [*UP_TO_SHIPPED, *ALL_UNDONE, "CANCELLED"]),
]


def _forward_up_to(step: str) -> list[str]:
    return list(FORWARD[: FORWARD.index(step) + 1])


@pytest.mark.parametrize(("failing", "undos", "states"), FAILURES)
def test_a_failed_step_is_followed_by_compensating_the_earlier_steps_in_reverse(
    failing: str, undos: list[str], states: list[str]
) -> None:
    driver = Driver().reach(failing)

    driver.fail(error="card declined")
    driver.settle()

    assert driver.sent() == [*_forward_up_to(failing), *undos]
    assert driver.states() == states
    saga = driver.saga
    assert (saga.status, saga.phase, saga.outcome) == ("FAILED", Phase.DONE, "FAILED")
    assert (saga.failed_step, saga.error) == (failing, "card declined")
    assert (saga.awaiting, saga.wake_at) == (Awaiting.NOTHING, None)


@pytest.mark.parametrize(("failing", "undos", "states"), FAILURES)
def test_a_failure_reply_is_recorded_then_the_first_compensation_sent(
    failing: str, undos: list[str], states: list[str]
) -> None:
    driver = Driver().reach(failing)

    decision = driver.fail(error="card declined")

    assert decision is not None
    reply = decision.records[0]
    assert (reply.type, reply.command, reply.success, reply.error) == (
        "REPLY",
        failing,
        False,
        "card declined",
    )
    assert [d.command for d in decision.dispatches] == undos[:1]
    assert brief(decision.records[1:]) == ([("COMMAND", undos[0])] if undos else [("STATE", "FAILED")])


@pytest.mark.parametrize(("in_flight", "undos", "states"), CANCELS)
def test_cancel_waits_for_the_step_in_flight_then_compensates_every_step_that_ran(
    in_flight: str, undos: list[str], states: list[str]
) -> None:
    driver = Driver().reach(in_flight)
    progress = driver.saga.progress

    decision = driver.cancel(actor="shop")
    assert decision is not None
    assert brief(decision.records) == [("CANCEL_REQUESTED", progress)]
    assert [r.actor for r in decision.records] == ["shop"]
    assert decision.dispatches == []
    driver.settle()

    assert driver.sent() == [*_forward_up_to(in_flight), *undos]
    assert driver.states() == states
    saga = driver.saga
    assert (saga.status, saga.phase, saga.outcome, saga.failed_step) == (
        "CANCELLED",
        Phase.DONE,
        "CANCELLED",
        None,
    )


@pytest.mark.parametrize(("in_flight", "undos", "states"), CANCELS)
def test_a_step_in_flight_at_a_cancel_that_then_fails_is_not_undone(
    in_flight: str, undos: list[str], states: list[str]
) -> None:
    driver = Driver().reach(in_flight)
    driver.cancel()

    driver.fail(in_flight)
    driver.settle()

    assert driver.sent() == [*_forward_up_to(in_flight), *undos[1:]]
    assert driver.saga.status == "CANCELLED"


@pytest.mark.parametrize(("in_flight", "undos", "states"), CANCELS)
def test_a_step_in_flight_at_a_cancel_is_undone_once_its_deadline_passes(
    in_flight: str, undos: list[str], states: list[str]
) -> None:
    driver = Driver().reach(in_flight)
    driver.cancel()
    deadline = driver.saga.wake_at

    decision = driver.expire()

    assert decision is not None and driver.now == deadline
    assert [d.command for d in decision.dispatches] == undos[:1]
    assert driver.settle().sent() == [*_forward_up_to(in_flight), *undos]


def test_a_step_waiting_to_be_sent_again_at_a_cancel_is_undone_at_once() -> None:
    driver = Driver().reach("reserveStock")
    driver.expire()  # its first attempt went unanswered: it may have run

    decision = driver.cancel()

    assert decision is not None
    assert [d.command for d in decision.dispatches] == ["releaseStock"]


def test_cancel_is_refused_once_compensation_has_begun() -> None:
    driver = Driver().reach("reserveStock")
    driver.fail()

    assert driver.cancel() is None
    driver.settle()
    assert driver.saga.status == "FAILED"


def test_a_failed_compensation_is_retried_after_a_backoff_keeping_its_error() -> None:
    driver = compensating("releaseStock")
    progress = driver.saga.progress

    decision = driver.fail(error="store down")

    assert decision is not None
    assert decision.dispatches == []
    assert brief(decision.records) == [("REPLY", "releaseStock"), ("RETRY_SCHEDULED", "releaseStock")]
    assert (decision.records[1].attempt, decision.records[1].error) == (1, "store down")
    saga = driver.saga
    assert (saga.phase, saga.progress, saga.last_error) == (Phase.COMPENSATING, progress, "store down")
    assert (saga.awaiting, saga.wake_at) == (Awaiting.RETRY, driver.now + timedelta(seconds=0.5))

    driver.later(0.49)
    assert driver.wake() is None
    resent = driver.expire()
    assert resent is not None
    assert [(d.command, d.step_id) for d in resent.dispatches] == [("releaseStock", "releaseStock")]
    assert (resent.records[0].type, resent.records[0].attempt) == ("COMMAND", 2)
    assert driver.saga.last_error == "store down"

    driver.succeed()
    after = driver.saga
    assert (after.progress, after.last_error, driver.awaited) == ("STOCK_RELEASED", None, "cancelPayment")


@pytest.mark.parametrize("outcome", ["FAILED", "CANCELLED"])
@pytest.mark.parametrize("undo", UNDOS)
def test_a_compensation_failing_on_every_attempt_parks_the_saga_until_resumed(
    undo: str, outcome: str
) -> None:
    driver = park(compensating(undo, outcome))

    saga = driver.saga
    assert (saga.status, saga.phase, saga.active) == ("COMPENSATION_FAILED", Phase.PARKED, False)
    assert (saga.awaiting, saga.wake_at, saga.last_error) == (Awaiting.NOTHING, None, "store down")
    assert driver.sent().count(undo) == 2  # compensation_max_attempts
    parked = driver.records[-1]
    assert (parked.type, parked.state, parked.step, parked.error) == (
        "STATE",
        "COMPENSATION_FAILED",
        UNDOES[undo],
        "store down",
    )
    assert outcome not in driver.states()

    resumed = driver.resume(actor="ops")

    assert resumed is not None
    assert brief(resumed.records) == [("RESUMED", saga.progress), ("COMMAND", undo)]
    assert [r.actor for r in resumed.records] == ["ops", None]
    assert resumed.records[1].attempt == 1
    assert [d.step_id for d in resumed.dispatches] == [undo]
    assert (driver.saga.phase, driver.saga.last_error) == (Phase.COMPENSATING, None)
    driver.settle()
    assert driver.states()[-1] == outcome
    assert [s for s in driver.states() if s in ALL_UNDONE] == ALL_UNDONE
    assert driver.saga.status == outcome


def test_a_parked_saga_ignores_time_replies_and_cancels() -> None:
    driver = park(compensating("cancelPayment"))
    parked = driver.saga

    driver.later(3600)
    assert driver.wake() is None
    assert driver.succeed("cancelPayment") is None
    assert driver.cancel() is None
    assert driver.saga == parked


def test_a_resumed_compensation_may_park_again_and_be_resumed_again() -> None:
    driver = park(compensating("cancelOrder"))
    driver.resume()
    park(driver)

    assert driver.saga.status == "COMPENSATION_FAILED"
    assert driver.sent().count("cancelOrder") == 4
    assert len(driver.of_type(RecordType.RESUMED)) == 1
    driver.resume()
    driver.settle()
    assert driver.saga.status == "FAILED"
    assert driver.states().count("COMPENSATION_FAILED") == 2


@pytest.mark.parametrize("outcome", ["FAILED", "CANCELLED"])
def test_no_saga_ends_before_every_compensation_succeeded(outcome: str) -> None:
    driver = compensating("cancelPayment", outcome)
    for _ in range(5):
        park(driver)
        driver.resume()

    assert outcome not in driver.states()
    assert driver.saga.outcome == outcome  # decided, not reached
    assert driver.saga.status != outcome
    driver.settle()
    assert driver.states()[-3:] == ["PAYMENT_CANCELLED", "ORDER_CANCELLED", outcome]
