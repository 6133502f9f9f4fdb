"""What holds at every point of a saga: which events apply, and invariants over random event sequences."""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from itertools import takewhile

import pytest

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import ReplyArrived
from saga_orchestrator.engine.state import Phase, RecordType
from tests.unit.engine_driver import (
    ALL_COMMANDS,
    COMPENSATION,
    COMPENSATION_STATES,
    FORWARD,
    FORWARD_STATES,
    INPUT,
    UNDOES,
    Driver,
    compensating,
    park,
)

pytestmark = pytest.mark.unit


def _forward(command: str, retrying: bool) -> Driver:
    driver = Driver().reach(command)
    if retrying:
        driver.expire()
    return driver


def _undoing(undo: str, retrying: bool) -> Driver:
    driver = compensating(undo)
    if retrying:
        driver.fail()
    return driver


def _ended(step: str, event: Callable[[Driver], object]) -> Driver:
    driver = Driver().reach(step)
    event(driver)
    return driver.settle()


FORWARD_POINTS: dict[str, Callable[[], Driver]] = {
    **{f"awaiting-{c}": partial(_forward, c, False) for c in FORWARD},
    **{f"retrying-{c}": partial(_forward, c, True) for c in FORWARD},
}
POINTS: dict[str, Callable[[], Driver]] = {
    **FORWARD_POINTS,
    **{f"awaiting-{u}": partial(_undoing, u, False) for u in COMPENSATION.values()},
    **{f"retrying-{u}": partial(_undoing, u, True) for u in COMPENSATION.values()},
    "parked": lambda: park(compensating("releaseStock")),
    "completed": Driver().settle,
    "failed": partial(_ended, "reserveStock", Driver.fail),
    "cancelled": partial(_ended, "processPayment", Driver.cancel),
}


@pytest.mark.parametrize("command", ALL_COMMANDS)
@pytest.mark.parametrize("point", POINTS)
def test_only_a_reply_to_the_awaited_command_of_an_active_saga_is_taken(point: str, command: str) -> None:
    driver = POINTS[point]()
    awaited = driver.saga.active and command == driver.awaited

    for success in (True, False):
        reply = ReplyArrived(command, success, {}, None if success else "late")
        decision = driver.engine.on_reply(driver.saga, reply, driver.now)
        assert (decision is not None) is awaited


@pytest.mark.parametrize("point", POINTS)
def test_cancel_applies_only_while_going_forward(point: str) -> None:
    driver = POINTS[point]()

    decision = driver.engine.cancel(driver.saga, driver.now, "a-client")

    assert (decision is not None) is (point in FORWARD_POINTS)


@pytest.mark.parametrize("point", POINTS)
def test_resume_applies_only_to_a_parked_saga(point: str) -> None:
    driver = POINTS[point]()

    decision = driver.engine.resume(driver.saga, driver.now, "an-operator")

    assert (decision is not None) is (point == "parked")


@pytest.mark.parametrize("point", POINTS)
def test_a_wake_up_applies_only_once_an_active_sagas_wake_time_has_come(point: str) -> None:
    driver = POINTS[point]()
    wake_at = driver.saga.wake_at
    early = driver.now if wake_at is None else wake_at - timedelta(microseconds=1)

    assert driver.engine.on_wake(driver.saga, early) is None
    later = driver.engine.on_wake(driver.saga, early + timedelta(days=1))
    assert (later is not None) is driver.saga.active


@dataclass
class Run:
    """A saga driven by random events, and what the engine accepted, tracked apart from its history."""

    driver: Driver
    accepted: list[tuple[str, bool]] = field(default_factory=list)
    replies: list[tuple[str, bool]] = field(default_factory=list)

    def reply(self, command: str, success: bool) -> None:
        saga = self.driver.saga
        expected = saga.active and command == self.driver.awaited
        decision = self.driver.reply(command, success=success, error=None if success else "refused")
        assert (decision is not None) is expected, (command, success, saga)
        self.replies.append((command, success))
        if decision is not None:
            self.accepted.append((command, success))


def _time_passes(run: Run, rng: random.Random) -> None:
    saga = run.driver.saga
    if saga.wake_at is None:
        run.driver.later(3600)
        assert run.driver.wake() is None
    elif rng.random() < 0.2:
        run.driver.later((saga.wake_at - run.driver.now).total_seconds() * rng.random() * 0.99)
        assert run.driver.wake() is None
    else:
        assert run.driver.expire() is not None


def _random_event(run: Run, rng: random.Random) -> None:
    driver = run.driver
    event = rng.choices(
        ["ok", "fail", "time", "stray", "again", "cancel", "resume"], [30, 6, 15, 8, 8, 3, 6]
    )[0]
    if event in ("ok", "fail"):
        run.reply(driver.awaited, event == "ok")
    elif event == "time":
        _time_passes(run, rng)
    elif event == "stray":
        run.reply(rng.choice(ALL_COMMANDS), rng.random() < 0.7)
    elif event == "again" and run.replies:
        run.reply(*rng.choice(run.replies))
    elif event == "cancel":
        phase = driver.saga.phase
        assert (driver.cancel() is not None) is (phase is Phase.FORWARD)
    elif event == "resume":
        phase = driver.saga.phase
        assert (driver.resume() is not None) is (phase is Phase.PARKED)


def _random_run(seed: int) -> Run:
    rng = random.Random(seed)
    attempts, compensation_attempts = rng.randint(1, 3), rng.randint(1, 3)
    run = Run(Driver(RetryPolicy(max_attempts=attempts, compensation_max_attempts=compensation_attempts)))
    for _ in range(80):
        phase, chance = run.driver.saga.phase, rng.random()
        if phase is Phase.DONE or (phase is Phase.PARKED and chance < 0.3):
            break
        if phase is Phase.PARKED and chance < 0.6:
            assert run.driver.resume() is not None
        else:
            _random_event(run, rng)
    # Then silence: every step and compensation gives up in a bounded number of wake-ups.
    for _ in range(100):
        if not run.driver.saga.active:
            break
        run.driver.expire()
    return run


def _owed_compensations(run: Run) -> list[str]:
    """For each forward step sent and not refused, most recent first: its compensation."""
    sent = [c for c in dict.fromkeys(run.driver.sent()) if c in FORWARD]
    refused = {c for c, success in run.accepted if c in FORWARD and not success}
    return [COMPENSATION[c] for c in reversed(sent) if c not in refused]


def _assert_states_follow_the_workflow(states: list[str | None], ending: list[str | None]) -> None:
    states = [s for s in states if s != "COMPENSATION_FAILED"]
    assert states[0] == "STARTED"
    reached = list(takewhile(FORWARD_STATES.__contains__, states[1:]))
    assert reached == list(FORWARD_STATES[: len(reached)])
    rest = states[1 + len(reached) :]
    if rest == ["COMPLETED"]:
        assert reached == list(FORWARD_STATES)
        return
    undone = list(takewhile(COMPENSATION_STATES.__contains__, rest))
    # Undone from the step in flight (timeout, cancel) or the one before it (failure), down to the first.
    full = [list(reversed(COMPENSATION_STATES[:n])) for n in (len(reached), len(reached) + 1)]
    assert any(undone == f[: len(undone)] for f in full), states
    assert rest[len(undone) :] == ending
    assert not ending or undone in full


def _assert_invariants(run: Run) -> None:
    driver, saga = run.driver, run.driver.saga
    assert saga.phase in (Phase.DONE, Phase.PARKED)
    states = driver.states()
    assert saga.status == states[-1]
    _assert_states_follow_the_workflow(states, [saga.outcome] if saga.phase is Phase.DONE else [])
    replies = [(r.command, r.success) for r in driver.of_type(RecordType.REPLY)]
    assert replies == run.accepted
    undone = [c for c, success in run.accepted if c in UNDOES and success]
    owed = _owed_compensations(run)
    if saga.status == "COMPLETED":
        assert not set(driver.sent()) & set(UNDOES)
    elif saga.phase is Phase.DONE:
        assert undone == owed
    else:
        assert undone == owed[: len(undone)]
        assert driver.awaited == owed[len(undone)]
    for dispatch, sent_at in zip(driver.dispatches, driver.sent_at, strict=True):
        assert dispatch.deadline == sent_at + timedelta(seconds=driver.engine.policy.step_timeout)
        assert dispatch.step_id == dispatch.command
        assert set(dispatch.payload) <= set(INPUT) - {"note"}
    policy = driver.engine.policy
    for command in driver.of_type(RecordType.COMMAND):
        limit = policy.compensation_max_attempts if command.command in UNDOES else policy.max_attempts
        assert command.attempt is not None and 1 <= command.attempt <= limit
    for before, after in zip(driver.records, driver.records[1:], strict=False):
        if before.state == "COMPENSATION_FAILED":
            assert after.type is RecordType.RESUMED


SEEDS = range(400)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_event_sequences_end_done_or_parked_having_undone_exactly_what_ran(seed: int) -> None:
    _assert_invariants(_random_run(seed))


def test_the_random_sequences_reach_every_ending_from_every_step() -> None:
    drivers = [_random_run(seed).driver for seed in SEEDS]
    runs = [driver.saga for driver in drivers]

    assert {saga.status for saga in runs} == {"COMPLETED", "FAILED", "CANCELLED", "COMPENSATION_FAILED"}
    assert {saga.failed_step for saga in runs if saga.outcome == "FAILED"} == set(FORWARD)
    assert {saga.outcome for saga in runs if saga.phase is Phase.PARKED} == {"FAILED", "CANCELLED"}
    resumed = [d.saga for d in drivers if d.of_type(RecordType.RESUMED)]
    assert {saga.status for saga in resumed} >= {"FAILED", "CANCELLED"}
