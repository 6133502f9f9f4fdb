"""Deadlines: a silent step is retried with backoff, then given up and undone; a silent compensation parks."""

from datetime import timedelta

import pytest

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.state import Awaiting, Phase
from tests.unit.engine_driver import FORWARD, POLICY, Driver, brief, compensating

pytestmark = pytest.mark.unit

TIMEOUT = timedelta(seconds=5)
UP_TO_SHIPPED = ["STARTED", "ORDER_CREATED", "PAYMENT_PROCESSED", "STOCK_RESERVED", "SHIPPED"]
ALL_UNDONE = ["SHIPMENT_CANCELLED", "STOCK_RELEASED", "PAYMENT_CANCELLED", "ORDER_CANCELLED"]
UNDOS = ["cancelShipment", "releaseStock", "cancelPayment", "cancelOrder"]

# (silent step, compensations sent, states recorded): the silent step may have run, so it is undone.
GIVEN_UP = [
    ("createOrder", UNDOS[3:], [*UP_TO_SHIPPED[:1], *ALL_UNDONE[3:], "FAILED"]),
    ("processPayment", UNDOS[2:], [*UP_TO_SHIPPED[:2], *ALL_UNDONE[2:], "FAILED"]),
    ("reserveStock", UNDOS[1:], [*UP_TO_SHIPPED[:3], *ALL_UNDONE[1:], "FAILED"]),
    ("createShipment", UNDOS, [*UP_TO_SHIPPED[:4], *ALL_UNDONE, "FAILED"]),
]


@pytest.mark.parametrize("command", FORWARD)
def test_a_step_silent_past_its_deadline_is_sent_again_after_a_backoff(command: str) -> None:
    driver = Driver().reach(command)
    deadline, progress = driver.now + TIMEOUT, driver.saga.progress
    driver.later(4.999)
    assert driver.wake() is None

    timed_out = driver.expire()

    assert timed_out is not None
    assert driver.now == deadline
    assert timed_out.dispatches == []
    assert brief(timed_out.records) == [("TIMEOUT", command), ("RETRY_SCHEDULED", command)]
    assert [(r.attempt, r.error) for r in timed_out.records] == [(1, "no reply within 5s")] * 2
    saga = driver.saga
    assert (saga.phase, saga.progress, saga.awaiting) == (Phase.FORWARD, progress, Awaiting.RETRY)
    assert (saga.wake_at, saga.last_error) == (deadline + timedelta(seconds=0.5), "no reply within 5s")
    driver.later(0.499)
    assert driver.wake() is None

    resent = driver.expire()

    assert resent is not None
    assert [(d.step_id, d.deadline) for d in resent.dispatches] == [(command, driver.now + TIMEOUT)]
    assert [(r.type, r.attempt) for r in resent.records] == [("COMMAND", 2)]
    assert (driver.saga.attempt, driver.saga.awaiting) == (2, Awaiting.REPLY)


def test_the_backoff_doubles_between_retries_up_to_its_cap() -> None:
    driver = Driver(RetryPolicy(step_timeout=5.0, max_attempts=6, backoff_base=1.0, backoff_cap=5.0))
    waits = []

    def time_out() -> None:
        driver.expire()
        if driver.saga.awaiting is Awaiting.RETRY:
            assert driver.saga.wake_at is not None
            waits.append((driver.saga.wake_at - driver.now).total_seconds())
            driver.expire()

    driver.repeat(time_out, lambda: driver.saga.phase is not Phase.FORWARD)

    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert driver.sent().count("createOrder") == 6


@pytest.mark.parametrize(("silent", "undos", "states"), GIVEN_UP)
def test_a_step_silent_on_every_attempt_is_given_up_and_undone_with_the_earlier_ones(
    silent: str, undos: list[str], states: list[str]
) -> None:
    driver = Driver().reach(silent)

    driver.time_out_for_good()

    assert driver.sent().count(silent) == POLICY.max_attempts
    assert brief(driver.records[-2:]) == [("TIMEOUT", silent), ("COMMAND", undos[0])]
    assert driver.records[-2].attempt == POLICY.max_attempts
    driver.settle()
    assert driver.sent()[-len(undos) :] == undos
    assert driver.states() == states
    saga = driver.saga
    assert (saga.status, saga.outcome, saga.failed_step) == ("FAILED", "FAILED", silent)
    assert saga.error == f"{silent} timed out after 3 attempts"


def test_with_a_single_attempt_the_first_timeout_gives_the_step_up() -> None:
    driver = Driver(RetryPolicy(max_attempts=1)).reach("reserveStock")

    driver.expire()

    assert driver.saga.phase is Phase.COMPENSATING
    assert (driver.awaited, driver.saga.failed_step) == ("releaseStock", "reserveStock")


def test_a_success_for_the_current_step_while_its_retry_is_scheduled_is_accepted() -> None:
    driver = Driver().reach("processPayment")
    driver.expire()

    assert driver.succeed() is not None

    assert (driver.saga.progress, driver.awaited, driver.saga.attempt) == (
        "PAYMENT_PROCESSED",
        "reserveStock",
        1,
    )
    assert (driver.saga.awaiting, driver.saga.last_error) == (Awaiting.REPLY, None)


def test_a_failure_for_the_current_step_while_its_retry_is_scheduled_leaves_that_step_undone() -> None:
    driver = Driver().reach("reserveStock")
    driver.expire()

    assert driver.fail(error="out of stock") is not None

    driver.settle()
    assert driver.sent()[-2:] == ["cancelPayment", "cancelOrder"]
    assert (driver.saga.status, driver.saga.failed_step, driver.saga.error) == (
        "FAILED",
        "reserveStock",
        "out of stock",
    )


def test_the_answer_to_an_earlier_attempt_is_taken_once_and_the_later_one_ignored() -> None:
    driver = Driver().reach("createShipment")
    driver.expire()
    driver.expire()  # attempt 2 is out; attempt 1's answer arrives first

    assert driver.succeed() is not None
    assert driver.succeed("createShipment") is None
    assert driver.fail("createShipment") is None
    assert driver.saga.status == "COMPLETED"


@pytest.mark.parametrize("outcome", ["FAILED", "CANCELLED"])
@pytest.mark.parametrize("undo", UNDOS)
def test_a_silent_compensation_is_retried_then_parks_the_saga(undo: str, outcome: str) -> None:
    driver = compensating(undo, outcome)

    first = driver.expire()
    assert first is not None
    assert brief(first.records) == [("TIMEOUT", undo), ("RETRY_SCHEDULED", undo)]
    assert driver.saga.phase is Phase.COMPENSATING
    driver.expire()
    assert driver.dispatches[-1].step_id == undo
    last = driver.expire()

    assert last is not None
    assert brief(last.records) == [("TIMEOUT", undo), ("STATE", "COMPENSATION_FAILED")]
    assert last.records[-1].error == "no reply within 5s"
    assert (driver.saga.status, driver.saga.outcome) == ("COMPENSATION_FAILED", outcome)
    assert driver.saga.failed_step == (None if outcome == "CANCELLED" else "createShipment")
    driver.resume()
    driver.settle()
    assert driver.saga.status == outcome


def test_a_compensation_answered_after_its_timeout_carries_on_the_rollback() -> None:
    driver = compensating("releaseStock")
    driver.expire()

    assert driver.succeed() is not None

    assert (driver.saga.progress, driver.awaited, driver.saga.last_error) == (
        "STOCK_RELEASED",
        "cancelPayment",
        None,
    )
