"""What a played scenario's trace says about each command: when it was sent, due and answered."""

from datetime import datetime
from typing import Any

from saga_orchestrator.engine.conditions import Ref
from saga_orchestrator.engine.state import RecordType, Saga
from tests.unit.scenario_player import Trace
from tests.unit.workflow_strategies import Scenario


class Reading:
    """Times are places in the history, so that "before" is exact even within one instant."""

    def __init__(self, scenario: Scenario, trace: Trace, saga: Saga) -> None:
        self.workflow = scenario.workflow
        self.input = scenario.input
        self.trace = trace
        self.saga = saga  # as the scenario left it
        self.sends: dict[str, list[tuple[int, datetime]]] = {}  # command: (place, deadline) of each send
        self.answers: dict[tuple[str, bool], list[int]] = {}  # (command, success): places of its replies
        self.results: dict[str, dict[str, Any]] = {}  # command: the result of its success
        for place, entry in enumerate(trace.history):
            record = entry.record
            if entry.dispatch is not None:
                self.sends.setdefault(entry.dispatch.command, []).append((place, entry.dispatch.deadline))
            elif record.type is RecordType.REPLY and record.command is not None:
                self.answers.setdefault((record.command, bool(record.success)), []).append(place)
                if record.success:
                    self.results[record.command] = record.result or {}

    def sent(self, command: str) -> bool:
        return command in self.sends

    def succeeded(self, command: str) -> bool:
        return (command, True) in self.answers

    def succeeded_before(self, command: str, place: int) -> bool:
        return any(answer < place for answer in self.answers.get((command, True), []))

    def skipped(self, step: str) -> bool:
        history = self.trace.history
        return any(e.record.type is RecordType.SKIPPED and e.record.step == step for e in history)

    def stage_of(self, place: int) -> int:
        return next(stage for stage, places in enumerate(self.workflow.stages) if place in places)

    def undo(self, place: int) -> str:
        compensation = self.workflow.steps[place].compensation
        assert compensation is not None
        return compensation.command

    def owed(self) -> set[int]:
        """The compensable steps sent and not refused: each of them may have run."""
        return {
            place
            for place, step in enumerate(self.workflow.steps)
            if step.compensation is not None
            and self.sent(step.name)
            and (step.name, False) not in self.answers
        }

    def compensations(self) -> list[tuple[int, int, datetime]]:
        """Each compensation sent: its step's place, its own place in the history, and when it went."""
        return [
            (step, place, self.trace.history[place].at)
            for step, undone in enumerate(self.workflow.steps)
            if undone.compensation is not None
            for place, _ in self.sends.get(undone.compensation.command, [])
        ]

    def value(self, ref: Ref, absent: Any) -> Any:
        """What a reference names once its stage is passed: an input field, or a field of the
        result of an earlier step's success; `absent` for nothing."""
        data = self.input if ref.of_input else self.results.get(ref.source, {})
        return data.get(ref.field, absent)
