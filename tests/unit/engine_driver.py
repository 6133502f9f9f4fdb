"""Drives the order workflow's engine through a scenario by hand: replies, wake-ups, cancels, a clock."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision, Dispatch, Kind, Phase, Record, RecordType, Saga, StepRun
from saga_orchestrator.workflows import WORKFLOWS

T0 = datetime(2030, 1, 1, tzinfo=UTC)
SAGA_ID = UUID(int=1)
# "note" is carried by no step, so no payload may contain it.
INPUT = {"orderId": "o-1", "productId": "p-1", "quantity": 2, "amount": 19.5, "note": "gift"}
EVENT_LIMIT = 100  # far more than any scenario here needs
POLICY = RetryPolicy(
    step_timeout=5.0, max_attempts=3, compensation_max_attempts=2, backoff_base=0.5, backoff_cap=30.0
)

# The spec's vocabulary, spelled out rather than read from the workflow under test.
FORWARD = ("createOrder", "processPayment", "reserveStock", "createShipment")
COMPENSATION = {
    "createOrder": "cancelOrder",
    "processPayment": "cancelPayment",
    "reserveStock": "releaseStock",
    "createShipment": "cancelShipment",
}
UNDOES = {undo: step for step, undo in COMPENSATION.items()}
ALL_COMMANDS = (*FORWARD, *COMPENSATION.values())
FORWARD_STATES = ("ORDER_CREATED", "PAYMENT_PROCESSED", "STOCK_RESERVED", "SHIPPED")
COMPENSATION_STATES = ("ORDER_CANCELLED", "PAYMENT_CANCELLED", "STOCK_RELEASED", "SHIPMENT_CANCELLED")


class Driver:
    """One saga and its clock; each method feeds the engine one event and keeps what it decided."""

    def __init__(self, policy: RetryPolicy = POLICY) -> None:
        self.engine = Engine(WORKFLOWS["order"], policy)
        self.now = T0
        self.records: list[Record] = []
        self.dispatches: list[Dispatch] = []
        self.sent_at: list[datetime] = []
        self.runs: dict[tuple[int, Kind], StepRun] = {}  # the step rows, as the decisions wrote them
        start = self.engine.start(SAGA_ID, dict(INPUT), self.now)
        self.saga: Saga = start.saga
        self._keep(start)

    def _keep(self, decision: Decision | None) -> Decision | None:
        if decision is not None:
            self.saga = decision.saga
            self.records.extend(decision.records)
            self.dispatches.extend(decision.dispatches)
            self.sent_at.extend(self.now for _ in decision.dispatches)
            self.runs.update(((run.step, run.kind), run) for run in decision.steps)
            # Read back, the rows give the saga its runs; one is open at a time on a straight line.
            assert {(run.step, run.kind): run for run in self.saga.runs} == self.runs
            assert len(self.saga.open_runs) <= 1
        return decision

    @property
    def awaited(self) -> str:
        """The command whose reply the saga waits for (once parked: the compensation that ran out)."""
        return self.dispatches[-1].command

    def reply(
        self, command: str | None = None, *, success: bool = True, error: str | None = None, **result: Any
    ) -> Decision | None:
        arrived = ReplyArrived(command or self.awaited, success, result, error)
        return self._keep(self.engine.on_reply(self.saga, arrived, self.now))

    def succeed(self, command: str | None = None, **result: Any) -> Decision | None:
        return self.reply(command, **result)

    def fail(self, command: str | None = None, error: str = "refused") -> Decision | None:
        return self.reply(command, success=False, error=error)

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def wake(self) -> Decision | None:
        return self._keep(self.engine.on_wake(self.saga, self.now))

    def expire(self) -> Decision | None:
        """Moves the clock to the saga's wake-up time (a deadline or a backoff's end) and wakes it."""
        assert self.saga.wake_at is not None, "the saga waits for nothing"
        self.now = self.saga.wake_at
        return self.wake()

    def cancel(self, actor: str = "a-client") -> Decision | None:
        return self._keep(self.engine.cancel(self.saga, self.now, actor))

    def resume(self, actor: str = "an-operator") -> Decision | None:
        return self._keep(self.engine.resume(self.saga, self.now, actor))

    def repeat(self, event: Callable[[], object], until: Callable[[], bool]) -> "Driver":
        """Feeds `event` until `until` holds; a stuck engine fails the test instead of hanging it."""
        for _ in range(EVENT_LIMIT):
            if until():
                return self
            event()
        raise AssertionError(f"still waiting after {EVENT_LIMIT} events: {self.saga}")

    def reach(self, command: str) -> "Driver":
        """Answers every awaited command with success until `command` is the one awaited."""
        return self.repeat(self.succeed, lambda: self.awaited == command)

    def settle(self) -> "Driver":
        """Answers every awaited command with success until the saga is done."""
        return self.repeat(self.succeed, lambda: not self.saga.active)

    def time_out_for_good(self) -> "Driver":
        """Lets the awaited step time out on every attempt until the saga leaves its phase."""
        phase = self.saga.phase
        return self.repeat(self.expire, lambda: self.saga.phase is not phase)

    def states(self) -> list[str | None]:
        return [r.state for r in self.of_type(RecordType.STATE)]

    def sent(self) -> list[str]:
        return [d.command for d in self.dispatches]

    def of_type(self, type: RecordType) -> list[Record]:
        return [r for r in self.records if r.type is type]


def brief(records: list[Record]) -> list[tuple[str, str | None]]:
    """Each record as (type, state or command): enough to read a history at a glance."""
    return [(r.type, r.state or r.command) for r in records]


def compensating(undo: str, outcome: str = "FAILED") -> Driver:
    """A saga with every step run, now compensating `undo`; FAILED by a timeout, or CANCELLED."""
    driver = Driver().reach("createShipment")
    if outcome == "CANCELLED":
        driver.cancel()
    else:
        driver.time_out_for_good()
    assert driver.saga.phase is Phase.COMPENSATING
    return driver.reach(undo)


def park(driver: Driver) -> Driver:
    """Fails the awaited compensation on every attempt until the saga parks."""

    def fail_then_wait() -> None:
        driver.fail(error="store down")
        if driver.saga.phase is not Phase.PARKED:
            driver.expire()

    return driver.repeat(fail_then_wait, lambda: driver.saga.phase is Phase.PARKED)
