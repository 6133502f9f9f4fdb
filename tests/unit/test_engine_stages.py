"""The engine beyond a straight line: a parallel group, a condition, outputs, a pivot and a retriable step."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from saga_orchestrator.engine.conditions import Compare, Ref
from saga_orchestrator.engine.definition import Action, Overrides, RetryPolicy, Step, StepKind, Workflow
from saga_orchestrator.engine.machine import Engine, ReplyArrived, may_cancel
from saga_orchestrator.engine.state import Decision, Kind, Phase, RecordType, RunStatus, Saga

pytestmark = pytest.mark.unit

T0 = datetime(2030, 1, 1, tzinfo=UTC)
POLICY = RetryPolicy(step_timeout=5.0, max_attempts=2, compensation_max_attempts=2, backoff_base=1.0)


def _step(name: str, kind: StepKind = StepKind.COMPENSABLE, **fields: Any) -> Step:
    undo = Action(f"undo{name.title()}", f"{name.upper()}_UNDONE") if kind is StepKind.COMPENSABLE else None
    return Step(
        service=name,
        action=Action(f"do{name.title()}", f"{name.upper()}_DONE"),
        compensation=fields.pop("compensation", undo),
        carries=fields.pop("carries", ("id",)),
        kind=kind,
        **fields,
    )


# open; pay and reserve together; check (only above 1000); ship, the pivot; notify, retriable.
EXPRESS = Workflow(
    name="express",
    key="id",
    steps=(
        _step("open"),
        _step("pay", group=1, outputs=("paymentId",)),
        _step("reserve", group=1),
        _step(
            "check",
            when=Compare(Ref("input", "amount"), "gt", 1000),
            carries=("id", "amount", "doPay.paymentId"),
        ),
        _step("ship", StepKind.PIVOT, carries=("id", "doPay.paymentId"), outputs=("shipmentId",)),
        _step(
            "notify",
            StepKind.RETRIABLE,
            carries=("id", "doShip.shipmentId"),
            overrides=Overrides(max_attempts=3),
        ),
    ),
)


class ExpressSaga:
    """One express saga and its clock; every decision is kept."""

    def __init__(self, amount: float = 50.0) -> None:
        self.engine = Engine(EXPRESS, POLICY)
        self.now = T0
        self.decisions: list[Decision] = []
        self.saga: Saga = self._keep(self.engine.start(UUID(int=7), {"id": "x-1", "amount": amount}, T0))

    def _keep(self, decision: Decision | None) -> Saga:
        assert decision is not None, "the engine took nothing"
        self.decisions.append(decision)
        self.saga = decision.saga
        return self.saga

    def reply(self, command: str, success: bool = True, **result: Any) -> None:
        reply = ReplyArrived(command, success, result, None if success else f"{command} refused")
        self._keep(self.engine.on_reply(self.saga, reply, self.now))

    def resume(self) -> None:
        self._keep(self.engine.resume(self.saga, self.now, "an-operator"))

    def expire(self) -> None:
        assert self.saga.wake_at is not None
        self.now = self.saga.wake_at
        self._keep(self.engine.on_wake(self.saga, self.now))

    def sent(self) -> list[str]:
        return [d.command for decision in self.decisions for d in decision.dispatches]

    def last_sent(self) -> list[str]:
        return [d.command for d in self.decisions[-1].dispatches]

    def payload(self, command: str) -> dict[str, Any]:
        return next(
            d.payload for decision in self.decisions for d in decision.dispatches if d.command == command
        )

    def states(self) -> list[str | None]:
        return [
            r.state for decision in self.decisions for r in decision.records if r.type is RecordType.STATE
        ]


def test_a_group_is_sent_together_and_the_next_stage_waits_for_all_of_it() -> None:
    saga = ExpressSaga()
    saga.reply("doOpen")
    assert saga.last_sent() == ["doPay", "doReserve"]

    saga.reply("doReserve")
    assert saga.last_sent() == []
    saga.reply("doPay", paymentId="p-9")
    assert saga.last_sent() == ["doShip"]  # the check is skipped: 50 is not above 1000


def test_a_step_whose_condition_fails_is_skipped_recorded_and_never_sent() -> None:
    saga = ExpressSaga(amount=50)
    for command in ("doOpen", "doPay", "doReserve"):
        saga.reply(command, paymentId="p-9")

    skipped = [r for d in saga.decisions for r in d.records if r.type is RecordType.SKIPPED]
    assert [r.step for r in skipped] == ["doCheck"]
    assert "doCheck" not in saga.sent()
    check = saga.saga.run(3, Kind.FORWARD)
    assert check is not None and check.status is RunStatus.SKIPPED


def test_a_step_whose_condition_holds_runs_and_carries_an_earlier_output() -> None:
    saga = ExpressSaga(amount=1500)
    for command in ("doOpen", "doPay", "doReserve"):
        saga.reply(command, paymentId="p-9")

    assert saga.last_sent() == ["doCheck"]
    assert saga.payload("doCheck") == {"id": "x-1", "amount": 1500, "paymentId": "p-9"}


def test_a_failure_in_a_group_waits_for_the_slow_sibling_then_undoes_it_and_the_earlier_steps() -> None:
    saga = ExpressSaga()
    saga.reply("doOpen")

    saga.reply("doReserve", success=False)
    assert saga.last_sent() == []  # the payment is still out: nothing to undo yet
    assert saga.saga.phase is Phase.COMPENSATING

    saga.reply("doPay", paymentId="p-9")
    assert saga.last_sent() == ["undoPay"]
    saga.reply("undoPay")
    assert saga.last_sent() == ["undoOpen"]
    saga.reply("undoOpen")
    assert (saga.saga.status, saga.saga.failed_step) == ("FAILED", "doReserve")


def test_a_sibling_that_succeeded_is_undone_at_once_and_one_still_out_once_its_deadline_passes() -> None:
    saga = ExpressSaga()
    saga.reply("doOpen")
    saga.reply("doPay", paymentId="p-9")

    saga.reply("doReserve", success=False)
    assert saga.last_sent() == ["undoPay"]

    saga = ExpressSaga()
    saga.reply("doOpen")
    saga.reply("doPay", success=False)
    deadline = saga.saga.wake_at
    saga.expire()
    assert saga.now == deadline and saga.last_sent() == ["undoReserve"]  # it may have run


def test_undoing_a_group_undoes_its_members_together_before_the_stage_before() -> None:
    saga = ExpressSaga(amount=1500)
    for command in ("doOpen", "doPay", "doReserve"):
        saga.reply(command, paymentId="p-9")

    saga.reply("doCheck", success=False)
    assert sorted(saga.last_sent()) == ["undoPay", "undoReserve"]
    saga.reply("undoReserve")
    assert saga.last_sent() == []
    saga.reply("undoPay")
    assert saga.last_sent() == ["undoOpen"]


def test_a_failed_pivot_undoes_the_steps_before_it() -> None:
    saga = ExpressSaga()
    for command in ("doOpen", "doPay", "doReserve"):
        saga.reply(command, paymentId="p-9")

    saga.reply("doShip", success=False)

    assert sorted(saga.last_sent()) == ["undoPay", "undoReserve"]
    assert saga.saga.outcome == "FAILED"


def test_after_the_pivot_a_retriable_step_is_sent_until_it_succeeds_and_nothing_is_undone() -> None:
    saga = ExpressSaga()
    for command in ("doOpen", "doPay", "doReserve"):
        saga.reply(command, paymentId="p-9")
    assert not may_cancel(EXPRESS, saga.saga)
    saga.reply("doShip", shipmentId="s-3")
    assert saga.payload("doNotify") == {"id": "x-1", "shipmentId": "s-3"}

    saga.reply("doNotify", success=False)
    saga.expire()  # the backoff
    saga.reply("doNotify", success=False)
    saga.expire()
    saga.reply("doNotify")

    assert saga.sent().count("doNotify") == 3
    assert saga.saga.status == "COMPLETED"
    assert not [c for c in saga.sent() if c.startswith("undo")]


def test_a_retriable_step_out_of_attempts_parks_the_saga_until_an_operator_resumes_it() -> None:
    saga = ExpressSaga()
    for command in ("doOpen", "doPay", "doReserve", "doShip"):
        saga.reply(command, paymentId="p-9", shipmentId="s-3")
    for _ in range(3):
        saga.reply("doNotify", success=False)
        if saga.saga.phase is not Phase.PARKED:
            saga.expire()

    assert (saga.saga.status, saga.saga.phase) == ("COMPLETION_FAILED", Phase.PARKED)
    assert saga.engine.cancel(saga.saga, saga.now, "a-client") is None

    saga.resume()
    assert saga.last_sent() == ["doNotify"]
    saga.reply("doNotify")
    assert saga.saga.status == "COMPLETED"


def test_a_pivot_unanswered_on_every_attempt_parks_rather_than_guess() -> None:
    saga = ExpressSaga()
    for command in ("doOpen", "doPay", "doReserve"):
        saga.reply(command, paymentId="p-9")
    for _ in range(4):
        if saga.saga.phase is Phase.PARKED:
            break
        saga.expire()

    assert saga.saga.status == "COMPLETION_FAILED"
    assert not [c for c in saga.sent() if c.startswith("undo")]

    saga.resume()
    saga.reply("doShip", success=False)  # the answer at last: it did not ship, so the saga turns back
    assert sorted(saga.last_sent()) == ["undoPay", "undoReserve"]


def test_an_undo_carries_its_steps_output_only_when_the_step_answered() -> None:
    undo = Action("undoPay", "PAY_UNDONE", carries=("doPay.paymentId",))
    workflow = Workflow("w", "id", (_step("pay", compensation=undo, outputs=("paymentId",)), _step("open")))

    answered = Engine(workflow, POLICY)
    started = answered.start(UUID(int=1), {"id": "x"}, T0)
    paid = answered.on_reply(started.saga, ReplyArrived("doPay", True, {"paymentId": "p-1"}, None), T0)
    assert paid is not None
    refused = answered.on_reply(paid.saga, ReplyArrived("doOpen", False, {}, "no"), T0)
    assert refused is not None
    assert [(d.command, d.payload) for d in refused.dispatches] == [
        ("undoPay", {"id": "x", "paymentId": "p-1"})
    ]

    silent = Engine(workflow, POLICY)
    decision = silent.start(UUID(int=1), {"id": "x"}, T0)
    later = T0 + timedelta(days=1)
    for _ in range(POLICY.max_attempts * 2):
        if decision.dispatches and decision.dispatches[0].command == "undoPay":
            break
        woken = silent.on_wake(decision.saga, later)
        assert woken is not None
        decision, later = woken, later + timedelta(days=1)
    assert [(d.command, d.payload) for d in decision.dispatches] == [("undoPay", {"id": "x"})]
