"""Plays a scenario (a random workflow, an input, events, an ending) against the engine with a fake
clock, and keeps its trace: the history with each command's dispatch, and what was asked of it.

A crash forgets the saga and reads it back as the orchestrator does after a restart.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from saga_orchestrator.engine.definition import RetryPolicy, Step
from saga_orchestrator.engine.machine import Engine, ReplyArrived
from saga_orchestrator.engine.state import (
    Decision,
    Dispatch,
    Kind,
    Phase,
    Record,
    RecordType,
    RunStatus,
    Saga,
    StepRun,
)
from tests.unit.read_back import read_back
from tests.unit.workflow_strategies import UNDECLARED, VALUES, Act, Ending, Event, Scenario

T0 = datetime(2030, 1, 1, tzinfo=UTC)
SAGA_ID = UUID(int=7)
POLICY = RetryPolicy(step_timeout=5.0, max_attempts=2, compensation_max_attempts=2, backoff_base=0.5)
ENDING_LIMIT = 1000  # events to end any saga here; more means the engine goes round in circles
OUT = (RunStatus.RUNNING, RunStatus.RETRYING)


@dataclass(frozen=True)
class Entry:
    """One history record, when it was written, and for a command the dispatch that went with it."""

    at: datetime
    record: Record
    dispatch: Dispatch | None = None


@dataclass(frozen=True)
class Asked:
    """A cancel or a resume, the saga's phase when asked, and whether the engine took it."""

    act: Act
    phase: Phase
    pivot_sent: bool
    taken: bool


@dataclass
class Trace:
    history: list[Entry] = field(default_factory=list)
    asked: list[Asked] = field(default_factory=list)
    rows: dict[tuple[int, Kind], StepRun] = field(default_factory=dict)  # as the decisions wrote them


class Crashes(StrEnum):
    NEVER = "never"
    SCHEDULED = "scheduled"  # at the scenario's CRASH events
    ALWAYS = "always"  # before every event


class Player:
    def __init__(self, scenario: Scenario, crashes: Crashes) -> None:
        self.workflow = scenario.workflow
        self.engine = Engine(scenario.workflow, POLICY)
        self.crashes = crashes
        self.now = T0
        self.trace = Trace()
        self.replies: list[ReplyArrived] = []  # every reply delivered, for duplicates
        start = self.engine.start(SAGA_ID, dict(scenario.input), self.now)
        self.saga = start.saga
        self._keep(start)

    def _keep(self, decision: Decision | None) -> Decision | None:
        if decision is None:
            return None
        self.saga = decision.saga
        dispatches = iter(decision.dispatches)
        for record in decision.records:
            sent = next(dispatches) if record.type is RecordType.COMMAND else None
            assert sent is None or sent.command == record.command, "each command record has its dispatch"
            self.trace.history.append(Entry(self.now, record, sent))
        assert next(dispatches, None) is None, "each dispatch has its command record"
        self.trace.rows.update(((run.step, run.kind), run) for run in decision.steps)
        rows = {(run.step, run.kind): run for run in self.saga.runs}
        assert rows == self.trace.rows, "a decision names every run it changed"
        return decision

    def play(self, event: Event) -> None:
        self._crash_if(Crashes.ALWAYS)
        match event.act:
            case Act.ANSWER:
                out = self.out(OUT)
                if out:
                    run = out[event.pick % len(out)]
                    self.reply(self.command(run), event.success, self.result(run.step, event.values))
            case Act.STRAY:
                commands = [*sorted(self.workflow.commands), "neverDeclared"]
                command = commands[event.pick % len(commands)]
                step = self.step_of(command)
                self.reply(command, event.success, {} if step is None else self.result(step, event.values))
            case Act.AGAIN if self.replies:
                self._deliver(self.replies[event.pick % len(self.replies)])
            case Act.TIME:
                self.time_passes(event.early)
            case Act.CANCEL | Act.RESUME:
                self.ask(event.act)
            case Act.CRASH:
                self._crash_if(Crashes.SCHEDULED)

    def _crash_if(self, crashes: Crashes) -> None:
        if self.crashes is crashes:
            self.saga = read_back(self.saga, self.trace.rows.values())

    def reply(self, command: str, success: bool, result: dict[str, Any]) -> None:
        self._deliver(ReplyArrived(command, success, result, None if success else f"{command} refused"))

    def _deliver(self, reply: ReplyArrived) -> None:
        self.replies.append(reply)
        self._keep(self.engine.on_reply(self.saga, reply, self.now))

    def time_passes(self, early: float | None) -> None:
        """Moves the clock to the wake-up time, or `early` of the way there, which must change nothing."""
        wake_at = self.saga.wake_at
        if wake_at is None:
            self.now += timedelta(hours=1)
            assert self.engine.on_wake(self.saga, self.now) is None, "a saga that waits for nothing wakes"
            return
        target = wake_at if early is None else self.now + (wake_at - self.now) * early
        self.now = max(self.now, target)
        woke = self._keep(self.engine.on_wake(self.saga, self.now))
        assert (woke is not None) is (self.now >= wake_at and self.saga.phase is not Phase.DONE), (
            f"a wake-up at {self.now} for a saga due at {wake_at}"
        )

    def ask(self, act: Act) -> None:
        phase = self.saga.phase
        pivot = self.workflow.pivot
        pivot_sent = pivot is not None and self.saga.run(pivot, Kind.FORWARD) is not None
        if act is Act.CANCEL:
            decision = self._keep(self.engine.cancel(self.saga, self.now, "a-client"))
        else:
            decision = self._keep(self.engine.resume(self.saga, self.now, "an-operator"))
        self.trace.asked.append(Asked(act, phase, pivot_sent, decision is not None))

    def end(self, ending: Ending, resumes: int) -> None:
        """Silence (time passing, and a few resumes) or success, until the saga is done, or parked
        with nothing out."""
        for _ in range(ENDING_LIMIT):
            self._crash_if(Crashes.ALWAYS)
            saga = self.saga
            out = self.out((RunStatus.RUNNING,))
            if saga.phase is Phase.DONE:
                return
            if ending is Ending.SUCCESS and out:
                self.reply(self.command(out[0]), True, self.result(out[0].step, (0, 1, 2)))
            elif saga.wake_at is not None:
                self.time_passes(None)
            elif saga.phase is Phase.PARKED and (ending is Ending.SUCCESS or resumes > 0):
                resumes -= 1
                self.ask(Act.RESUME)
            else:
                assert saga.phase is Phase.PARKED, f"an active saga waits for nothing: {saga}"
                return
        raise AssertionError(f"not done after {ENDING_LIMIT} events: {self.saga}")

    def out(self, statuses: tuple[RunStatus, ...]) -> list[StepRun]:
        """The runs in these statuses by place, not in the saga's order, which a read back changes."""
        return sorted(
            (run for run in self.saga.runs if run.status in statuses), key=lambda run: (run.step, run.kind)
        )

    def step_of(self, command: str) -> int | None:
        return next(
            (place for place, step in enumerate(self.workflow.steps) if command in _commands(step)), None
        )

    def command(self, run: StepRun) -> str:
        step = self.workflow.steps[run.step]
        undo = step.compensation
        return step.action.command if run.kind is Kind.FORWARD or undo is None else undo.command

    def result(self, place: int, values: tuple[int, ...]) -> dict[str, Any]:
        """A result with the step's outputs and an undeclared field, each left out for a value of -1."""
        fields = (*self.workflow.steps[place].outputs, UNDECLARED)
        return {name: VALUES[value] for name, value in zip(fields, values, strict=False) if value >= 0}


def _commands(step: Step) -> tuple[str, ...]:
    return tuple(action.command for action in step.actions)


def play(scenario: Scenario, crashes: Crashes = Crashes.SCHEDULED) -> tuple[Trace, Saga]:
    """The trace of the scenario and the saga it ends with."""
    player = Player(scenario, crashes)
    for event in scenario.events:
        player.play(event)
    player.end(scenario.ending, scenario.resumes)
    return player.trace, player.saga
