"""A workflow beyond a straight line, written as a file writes it, and one saga of it driven by hand:
for the tests of what the graph and the dashboard show of such a workflow."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import Decision, Phase, Record, Saga
from saga_orchestrator.workflows.loader import Definition
from saga_orchestrator.workflows.model import WorkflowFile

T0 = datetime(2030, 1, 1, tzinfo=UTC)
POLICY = RetryPolicy(step_timeout=5.0, max_attempts=2, compensation_max_attempts=2, backoff_base=1.0)


def _step(name: str, kind: str = "compensable", **fields: Any) -> dict[str, Any]:
    undo = {"command": f"undo{name.title()}", "reaches": f"{name.upper()}_UNDONE"}
    return {
        "service": name,
        "kind": kind,
        "action": {"command": f"do{name.title()}", "reaches": f"{name.upper()}_DONE"},
        **({"compensation": undo} if kind == "compensable" else {}),
        "carries": ["id"],
        **fields,
    }


# open; pay and reserve together; check, only for large or gift orders; ship, the pivot; notify.
GROUPED = Definition.of(
    WorkflowFile.model_validate(
        {
            "name": "grouped",
            "version": 1,
            "key": "id",
            "input": {"id": "identifier", "amount": "amount", "wrap": "identifier"},
            "steps": [
                _step("open"),
                {"parallel": [_step("pay", outputs=["paymentId"]), _step("reserve")]},
                _step(
                    "check",
                    when={
                        "any": [
                            {"ref": "input.amount", "gt": 1000},
                            {
                                "all": [
                                    {"ref": "input.wrap", "in": ["gift", "box"]},
                                    {"ref": "doPay.paymentId", "ne": None},
                                ]
                            },
                        ]
                    },
                ),
                _step("ship", "pivot", carries=["id", "doPay.paymentId"]),
                _step("notify", "retriable"),
            ],
        }
    ),
    "a test",
)


class GroupedSaga:
    """One saga of GROUPED and its clock; every record is kept."""

    def __init__(self, amount: float = 50.0, wrap: str = "none") -> None:
        self.engine = Engine(GROUPED.workflow, POLICY)
        self.now = T0
        self.records: list[Record] = []
        self.saga: Saga = self._keep(
            self.engine.start(UUID(int=9), {"id": "g-1", "amount": amount, "wrap": wrap}, T0)
        )

    def _keep(self, decision: Decision | None) -> Saga:
        assert decision is not None, "the engine took nothing"
        self.records.extend(decision.records)
        self.saga = decision.saga
        return self.saga

    def reply(self, command: str, success: bool = True, **result: Any) -> "GroupedSaga":
        reply = ReplyArrived(command, success, result, None if success else f"{command} refused")
        self._keep(self.engine.on_reply(self.saga, reply, self.now))
        return self

    def park(self, command: str) -> "GroupedSaga":
        """Fails `command` on every attempt until the saga parks."""
        for _ in range(POLICY.max_attempts):
            self.reply(command, success=False)
            if self.saga.phase is Phase.PARKED:
                return self
            assert self.saga.wake_at is not None
            self.now = self.saga.wake_at
            self._keep(self.engine.on_wake(self.saga, self.now))
        raise AssertionError(f"not parked after {POLICY.max_attempts} attempts: {self.saga}")
