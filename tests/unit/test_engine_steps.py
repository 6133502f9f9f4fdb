"""The order saga's step executions: each step run forward or undone is a row of its own, with its
attempts, outcome and timestamps, which the decisions write as they change it."""

import pytest

from saga_orchestrator.engine.state import Kind, RunStatus
from tests.unit.engine_driver import T0, Driver, compensating, park

pytestmark = pytest.mark.unit

F, C = Kind.FORWARD, Kind.COMPENSATION


def statuses(driver: Driver) -> dict[tuple[int, Kind], tuple[RunStatus, int]]:
    return {key: (run.status, run.attempt) for key, run in driver.runs.items()}


def test_a_saga_that_completes_leaves_a_succeeded_row_per_step_and_no_open_one() -> None:
    driver = Driver().settle()

    assert statuses(driver) == {(step, F): (RunStatus.SUCCEEDED, 1) for step in range(4)}
    assert driver.saga.open_runs == ()
    first = driver.runs[0, F]
    assert (first.started_at, first.finished_at, first.deadline) == (T0, T0, None)


def test_a_run_keeps_its_reply_s_result() -> None:
    driver = Driver()
    driver.succeed(orderStatus="CREATED")

    assert driver.runs[0, F].result == {"orderStatus": "CREATED"}


def test_a_failed_step_ends_failed_and_the_steps_before_it_are_undone_each_in_its_own_row() -> None:
    driver = Driver().reach("reserveStock")
    driver.fail(error="out of stock")
    driver.settle()

    assert statuses(driver) == {
        (0, F): (RunStatus.SUCCEEDED, 1),
        (1, F): (RunStatus.SUCCEEDED, 1),
        (2, F): (RunStatus.FAILED, 1),
        (1, C): (RunStatus.SUCCEEDED, 1),
        (0, C): (RunStatus.SUCCEEDED, 1),
    }
    assert driver.runs[2, F].error == "out of stock"


def test_a_step_unanswered_on_every_attempt_ends_timed_out_and_is_undone() -> None:
    driver = Driver().reach("processPayment").time_out_for_good()

    assert statuses(driver)[1, F] == (RunStatus.TIMED_OUT, 3)
    assert statuses(driver)[1, C] == (RunStatus.RUNNING, 1)


def test_the_step_waiting_to_be_sent_again_at_a_cancel_is_abandoned_and_undone() -> None:
    driver = Driver().reach("createShipment")
    driver.expire()
    driver.cancel()

    assert statuses(driver)[3, F] == (RunStatus.ABANDONED, 1)
    assert statuses(driver)[3, C] == (RunStatus.RUNNING, 1)


def test_the_step_in_flight_at_a_cancel_ends_as_it_answers_and_is_undone() -> None:
    driver = compensating("cancelShipment", "CANCELLED")

    assert statuses(driver)[3, F] == (RunStatus.SUCCEEDED, 1)
    assert statuses(driver)[3, C] == (RunStatus.RUNNING, 1)


def test_a_parked_compensation_stays_open_and_its_resume_runs_the_same_row_again() -> None:
    driver = park(compensating("releaseStock"))

    parked = driver.runs[2, C]
    assert (parked.status, parked.attempt, parked.error, parked.deadline) == (
        RunStatus.PARKED,
        2,
        "store down",
        None,
    )
    assert driver.saga.open_runs == (parked,)

    driver.resume()

    resumed = driver.runs[2, C]
    assert (resumed.status, resumed.attempt, resumed.error) == (RunStatus.RUNNING, 1, None)
    assert resumed.started_at == parked.started_at
