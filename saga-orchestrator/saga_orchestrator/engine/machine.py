"""The engine's decisions: given a saga and what just happened, the next state and the commands to send.

Pure functions of their arguments (the clock is passed in), so every path is tested without I/O.

Going forward, the workflow's stages run one after another, and the steps of a stage are sent
together; a step whose condition does not hold is skipped. When a step fails, or the saga is
cancelled, the saga goes back: every step that ran, or may have run, is compensated, stage by stage
in reverse, the steps of one stage together. A step still out is waited for (its reply, or its
deadline) before it counts either way. Once the pivot succeeded nothing is compensated: the
retriable steps after it are sent until they succeed, or park the saga for an operator.

Each step's execution (forward or compensating) is a run of its own with its attempts and deadline;
a decision names every run it changed, so that storage writes only those.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from saga_orchestrator.engine.conditions import MISSING, Ref, holds
from saga_orchestrator.engine.definition import (
    CANCELLED,
    COMPENSATION_FAILED,
    COMPLETED,
    COMPLETION_FAILED,
    FAILED,
    STARTED,
    Action,
    RetryPolicy,
    Step,
    StepKind,
    Workflow,
)
from saga_orchestrator.engine.state import (
    MAY_HAVE_RUN,
    Decision,
    Dispatch,
    Kind,
    Phase,
    Record,
    RecordType,
    RunStatus,
    Saga,
    StepRun,
    evolve,
)


@dataclass(frozen=True)
class ReplyArrived:
    step_id: str
    success: bool
    result: dict[str, Any]
    error: str | None


class _Turn:
    """A decision being made: the saga as it changes, and what it records and sends."""

    def __init__(self, saga: Saga) -> None:
        self.before = saga
        self.saga = saga
        self.records: list[Record] = []
        self.dispatches: list[Dispatch] = []

    def put(self, run: StepRun) -> StepRun:
        self.saga = _put(self.saga, run)
        return run

    def decision(self) -> Decision:
        """Names every run the turn changed, ended ones included."""
        before = self.before.runs
        changed = [run for run in self.saga.runs if run not in before]
        return Decision(self.saga, self.records, self.dispatches, changed)


class Engine:
    def __init__(self, workflow: Workflow, policy: RetryPolicy) -> None:
        self.workflow = workflow
        self.policy = policy
        self._policies = tuple(step.overrides.over(policy) for step in workflow.steps)
        self._stages, self._stage_of = workflow.stages, workflow.stage_of
        self._place_of = {step.name: place for place, step in enumerate(workflow.steps)}
        # Each command's step and kind, for the replies.
        self._action_of: dict[str, tuple[int, Kind]] = {}
        for place, step in enumerate(workflow.steps):
            self._action_of[step.action.command] = (place, Kind.FORWARD)
            if step.compensation is not None:
                self._action_of[step.compensation.command] = (place, Kind.COMPENSATION)

    def run_of(self, command: str) -> tuple[int, Kind] | None:
        """The step (by place) and kind of run that `command` is sent for; None if no step sends it."""
        return self._action_of.get(command)

    def timeout(self, place: int) -> float:
        """How long the step at `place` may take: its own deadline, or the default."""
        return self._policies[place].step_timeout

    def start(self, saga_id: UUID, input: dict[str, Any], now: datetime) -> Decision:
        saga = Saga(
            saga_id=saga_id,
            workflow=self.workflow.name,
            workflow_version=self.workflow.version,
            input=input,
            phase=Phase.FORWARD,
            progress=STARTED,
        )
        turn = _Turn(saga)
        turn.records.append(Record(RecordType.STATE, state=STARTED))
        self._enter(turn, 0, now)
        return turn.decision()

    def on_reply(self, saga: Saga, reply: ReplyArrived, now: datetime) -> Decision | None:
        """Advances on a reply the saga waits for; any other (late, duplicated) changes nothing."""
        placed = self.run_of(reply.step_id)
        if saga.phase is Phase.DONE or placed is None:
            return None
        run = saga.run(*placed)
        if run is None or run.status not in (RunStatus.RUNNING, RunStatus.RETRYING):
            return None
        turn = _Turn(saga)
        turn.records.append(
            self._record(RecordType.REPLY, run, success=reply.success, result=reply.result, error=reply.error)
        )
        if reply.success:
            self._succeeded(turn, run, reply.result, now)
        elif run.kind is Kind.COMPENSATION or self.workflow.steps[run.step].kind is StepKind.RETRIABLE:
            self._retry_or_park(turn, run, reply.error or f"{self._action(run).command} failed", now)
        else:
            self._forward_failed(
                turn, run, now, status=RunStatus.FAILED, error=reply.error, result=reply.result
            )
        return turn.decision()

    def on_wake(self, saga: Saga, now: datetime) -> Decision | None:
        """Acts on every passed deadline: resend after a backoff, or give the command up."""
        if saga.phase is Phase.DONE or saga.wake_at is None or saga.wake_at > now:
            return None
        turn = _Turn(saga)
        due = sorted(
            (run for run in saga.runs if run.deadline is not None and run.deadline <= now),
            key=lambda run: (run.deadline or now, _place(run)),
        )
        for stale in due:
            run = turn.saga.run(stale.step, stale.kind)
            if run is None or run.deadline is None:  # ended by an earlier one of these
                continue
            if run.status is RunStatus.RETRYING:
                self._send(turn, run, now)
            else:
                self._timed_out(turn, run, now)
        return turn.decision()

    @staticmethod
    def may_resume(phase: Phase) -> bool:
        """Whether a saga in this phase may be resumed: only one parked."""
        return phase is Phase.PARKED

    def cancel(self, saga: Saga, now: datetime, actor: str) -> Decision | None:
        """Turns the saga back; the history names the actor who asked."""
        if not may_cancel(self.workflow, saga):
            return None
        turn = _Turn(saga)
        turn.records.append(Record(RecordType.CANCEL_REQUESTED, state=saga.status, actor=actor))
        self._turn_back(turn, CANCELLED, now)
        return turn.decision()

    def resume(self, saga: Saga, now: datetime, actor: str) -> Decision | None:
        """Sends again every command that ran out of attempts, on the word of the actor named."""
        if not self.may_resume(saga.phase):
            return None
        parked = sorted((run for run in saga.runs if run.status is RunStatus.PARKED), key=_place)
        turn = _Turn(saga)
        turn.records.append(Record(RecordType.RESUMED, state=saga.progress, actor=actor))
        backwards = any(run.kind is Kind.COMPENSATION for run in parked)
        turn.saga = evolve(turn.saga, phase=Phase.COMPENSATING if backwards else Phase.FORWARD)
        for run in parked:
            self._send(turn, turn.put(evolve(run, attempt=0, error=None)), now)
        return turn.decision()

    # What happens to a run

    def _succeeded(self, turn: _Turn, run: StepRun, result: dict[str, Any], now: datetime) -> None:
        action = self._action(run)
        turn.put(evolve(run, status=RunStatus.SUCCEEDED, deadline=None, finished_at=now, result=result))
        turn.saga = evolve(turn.saga, progress=action.reaches)
        turn.records.append(
            Record(RecordType.STATE, state=action.reaches, step=self.workflow.steps[run.step].name)
        )
        self._go_on(turn, run.step, now)

    def _forward_failed(
        self,
        turn: _Turn,
        run: StepRun,
        now: datetime,
        *,
        status: RunStatus,
        error: str | None,
        result: dict[str, Any] | None = None,
    ) -> None:
        """A forward step answered no, or went unanswered: the saga turns back, if it has not yet."""
        turn.put(evolve(run, status=status, deadline=None, finished_at=now, result=result, error=error))
        if turn.saga.outcome is None:
            step = self.workflow.steps[run.step].name
            turn.saga = evolve(turn.saga, failed_step=step, error=error)
            self._turn_back(turn, FAILED, now)
        else:
            self._go_on(turn, run.step, now)

    def _timed_out(self, turn: _Turn, run: StepRun, now: datetime) -> None:
        policy = self._policies[run.step]
        error = f"no reply within {policy.step_timeout:g}s"
        turn.records.append(self._record(RecordType.TIMEOUT, run, error=error))
        step = self.workflow.steps[run.step]
        if run.kind is Kind.COMPENSATION or step.kind is not StepKind.COMPENSABLE:
            self._retry_or_park(turn, run, error, now)
        elif turn.saga.outcome is not None:  # the saga turned back while this was out
            self._forward_failed(turn, run, now, status=RunStatus.TIMED_OUT, error=error)
        elif run.attempt < policy.max_attempts:
            self._retry_or_park(turn, run, error, now)
        else:
            cause = f"{step.name} timed out after {run.attempt} attempts"
            self._forward_failed(turn, run, now, status=RunStatus.TIMED_OUT, error=cause)

    def _retry_or_park(self, turn: _Turn, run: StepRun, error: str, now: datetime) -> None:
        """Schedules the command again, or, out of attempts, parks the saga for an operator: a
        compensation, a pivot or a retriable step is never given up on its own."""
        policy = self._policies[run.step]
        if run.attempt < policy.attempts(run.kind is Kind.COMPENSATION):
            wake_at = now + timedelta(seconds=policy.backoff(run.attempt))
            waiting = turn.put(evolve(run, status=RunStatus.RETRYING, deadline=wake_at, error=error))
            turn.records.append(self._record(RecordType.RETRY_SCHEDULED, waiting, error=error))
            return
        turn.put(evolve(run, status=RunStatus.PARKED, deadline=None, error=error))
        turn.saga = evolve(turn.saga, phase=Phase.PARKED)
        state = COMPENSATION_FAILED if run.kind is Kind.COMPENSATION else COMPLETION_FAILED
        step = self.workflow.steps[run.step].name
        turn.records.append(Record(RecordType.STATE, state=state, step=step, error=error))

    # Where the saga goes next

    def _go_on(self, turn: _Turn, place: int, now: datetime) -> None:
        """After a run of the step at `place` ended: on to the next stage once all of its stage
        ended, or on with the compensations."""
        if turn.saga.outcome is not None:  # turned back: this run was one to wait for
            self._unwind(turn, now)
            return
        stage = self._stage_of[place]
        runs = [turn.saga.run(member, Kind.FORWARD) for member in self._stages[stage]]
        if all(run is not None and run.status in (RunStatus.SUCCEEDED, RunStatus.SKIPPED) for run in runs):
            self._enter(turn, stage + 1, now)

    def _enter(self, turn: _Turn, stage: int, now: datetime) -> None:
        """Sends the stage's steps whose conditions hold, and skips the others; past the last stage,
        the saga is complete."""
        while stage < len(self._stages):
            sent = False
            for place in self._stages[stage]:
                step = self.workflow.steps[place]
                if step.when is None or holds(step.when, lambda ref: self._value(turn.saga, ref)):
                    self._send(
                        turn, turn.put(StepRun(place, Kind.FORWARD, 0, RunStatus.RUNNING, None, now)), now
                    )
                    sent = True
                else:
                    turn.put(StepRun(place, Kind.FORWARD, 0, RunStatus.SKIPPED, None, now, now))
                    turn.records.append(
                        Record(RecordType.SKIPPED, step=step.name, service=step.service, command=step.name)
                    )
            if sent:
                return
            stage += 1
        self._finish(turn, COMPLETED)

    def _turn_back(self, turn: _Turn, outcome: str, now: datetime) -> None:
        """Stops going forward. A step waiting to be sent again had its command out before, so it
        may have run: it is abandoned, to be compensated. A step whose command is out is waited for."""
        turn.saga = evolve(turn.saga, phase=Phase.COMPENSATING, outcome=outcome)
        for run in turn.saga.runs:
            if run.kind is Kind.FORWARD and run.status is RunStatus.RETRYING:
                turn.put(evolve(run, status=RunStatus.ABANDONED, deadline=None, finished_at=now))
        self._unwind(turn, now)

    def _unwind(self, turn: _Turn, now: datetime) -> None:
        """Compensates the latest stage not yet undone, all its steps that may have run at once, and
        moves to the stage before only once every run of this one ended."""
        saga = turn.saga
        for stage in reversed(range(len(self._stages))):
            forward = [saga.run(place, Kind.FORWARD) for place in self._stages[stage]]
            if all(run is None for run in forward):
                continue  # not reached
            settled = True
            for run in forward:
                if run is None or run.status is RunStatus.SKIPPED:
                    continue
                if run.open:
                    settled = False  # its reply or its deadline will tell
                    continue
                if run.status not in MAY_HAVE_RUN:
                    continue
                undo = turn.saga.run(run.step, Kind.COMPENSATION)
                if undo is None:
                    undo = turn.put(StepRun(run.step, Kind.COMPENSATION, 0, RunStatus.RUNNING, None, now))
                    self._send(turn, undo, now)
                if undo.status is not RunStatus.SUCCEEDED:
                    settled = False
            if not settled:
                return
        self._finish(turn, turn.saga.outcome or FAILED)

    def _finish(self, turn: _Turn, outcome: str) -> None:
        turn.records.append(Record(RecordType.STATE, state=outcome))
        turn.saga = evolve(turn.saga, phase=Phase.DONE, outcome=outcome)

    # Commands

    def _send(self, turn: _Turn, run: StepRun, now: datetime) -> None:
        """Sends the run's command (again)."""
        step = self.workflow.steps[run.step]
        action = self._action(run)
        deadline = now + timedelta(seconds=self.timeout(run.step))
        sent = turn.put(evolve(run, attempt=run.attempt + 1, status=RunStatus.RUNNING, deadline=deadline))
        turn.records.append(self._record(RecordType.COMMAND, sent))
        turn.dispatches.append(
            Dispatch(
                step.service, action.command, deadline, self._payload(turn.saga, step, action), sent.attempt
            )
        )

    def _payload(self, saga: Saga, step: Step, action: Action) -> dict[str, Any]:
        """The input fields and earlier outputs the command carries; an output not known (its step
        was skipped, or went unanswered) is left out."""
        payload: dict[str, Any] = {}
        for carried in (*step.carries, *action.carries):
            if "." not in carried:
                payload[carried] = saga.input[carried]
                continue
            ref = Ref.parse(carried)
            value = self._value(saga, ref)
            if value is not MISSING:
                payload[ref.field] = value
        return payload

    def _value(self, saga: Saga, ref: Ref) -> Any:
        if ref.of_input:
            return saga.input.get(ref.field, MISSING)
        run = saga.run(self._place_of[ref.source], Kind.FORWARD)
        if run is None or run.result is None or run.status is not RunStatus.SUCCEEDED:
            return MISSING
        return run.result.get(ref.field, MISSING)

    def _action(self, run: StepRun) -> Action:
        step = self.workflow.steps[run.step]
        if run.kind is Kind.FORWARD:
            return step.action
        assert step.compensation is not None  # a compensation run exists only for a compensable step
        return step.compensation

    def _record(self, type: RecordType, run: StepRun, **fields: Any) -> Record:
        step = self.workflow.steps[run.step]
        command = self._action(run).command
        return Record(
            type, step=step.name, service=step.service, command=command, attempt=run.attempt, **fields
        )


def may_cancel(workflow: Workflow, saga: Saga) -> bool:
    """Whether the saga may be cancelled: only while it goes forward, and before its pivot was sent."""
    if saga.phase is not Phase.FORWARD:
        return False
    pivot = workflow.pivot
    return pivot is None or saga.run(pivot, Kind.FORWARD) is None


def _place(run: StepRun) -> tuple[int, bool]:
    """Orders runs by their step, a forward run before its compensation. Decisions take runs in this
    order, never in that of saga.runs: a saga read back from storage lists its runs otherwise."""
    return run.step, run.kind is Kind.COMPENSATION


def _put(saga: Saga, run: StepRun) -> Saga:
    """The saga with `run` in place of its run of the same step and kind, or added as the newest."""
    runs = saga.runs
    for index in range(len(runs) - 1, -1, -1):  # the newest first: the usual one to change
        if runs[index].step == run.step and runs[index].kind is run.kind:
            return evolve(saga, runs=(*runs[:index], run, *runs[index + 1 :]))
    return evolve(saga, runs=(*runs, run))
