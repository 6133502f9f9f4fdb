"""The engine's decisions: given a saga and what just happened, the next state and the commands to send.

Pure functions of their arguments (the clock is passed in), so every path is tested without I/O.
Forward steps run in order; when one fails, times out or the saga is cancelled, the steps that
ran (or may have run) are compensated in reverse. Each step's execution (forward or compensating)
is a run of its own with its attempts and deadline; a decision ends runs and opens the next, and
names every run it changed, so that storage writes only those.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from saga_orchestrator.engine.definition import (
    CANCELLED,
    COMPENSATION_FAILED,
    COMPLETED,
    FAILED,
    STARTED,
    Action,
    RetryPolicy,
    Step,
    Workflow,
)
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
    evolve,
)


@dataclass(frozen=True)
class ReplyArrived:
    step_id: str
    success: bool
    result: dict[str, Any]
    error: str | None


class Engine:
    def __init__(self, workflow: Workflow, policy: RetryPolicy) -> None:
        self.workflow = workflow
        self.policy = policy
        self._policies = tuple(step.overrides.over(policy) for step in workflow.steps)

    def start(self, saga_id: UUID, input: dict[str, Any], now: datetime) -> Decision:
        saga = Saga(
            saga_id=saga_id,
            workflow=self.workflow.name,
            workflow_version=self.workflow.version,
            input=input,
            phase=Phase.FORWARD,
            progress=STARTED,
        )
        first = self._open(saga, 0, Kind.FORWARD, now)
        return _settled(saga, self._send(first, [Record(RecordType.STATE, state=STARTED)], now))

    def on_reply(self, saga: Saga, reply: ReplyArrived, now: datetime) -> Decision | None:
        """Advances on the reply the saga waits for; any other (late, duplicated) changes nothing."""
        if not saga.active or saga.current is None:
            return None
        run = saga.current
        step, action = self._current(saga)
        if reply.step_id != action.command:
            return None
        records = [
            self._record(
                RecordType.REPLY,
                saga,
                success=reply.success,
                result=reply.result,
                error=reply.error,
            )
        ]
        if reply.success:
            done = _close(saga, RunStatus.SUCCEEDED, now, result=reply.result)
            return _settled(saga, self._advance(done, records, now))
        if run.kind is Kind.FORWARD:
            failed = evolve(
                _close(saga, RunStatus.FAILED, now, result=reply.result, error=reply.error),
                failed_step=step.name,
                error=reply.error,
            )
            return _settled(saga, self._compensate(failed, run.step - 1, FAILED, records, now))
        return _settled(saga, self._retry_or_park(saga, reply.error or "compensation failed", records, now))

    def on_wake(self, saga: Saga, now: datetime) -> Decision | None:
        """Acts on a passed deadline: resend after a backoff, or give the step up."""
        if not saga.active or saga.current is None or saga.wake_at is None or saga.wake_at > now:
            return None
        run = saga.current
        if run.status is RunStatus.RETRYING:
            return _settled(saga, self._send(saga, [], now))
        policy = self._policies[run.step]
        error = f"no reply within {policy.step_timeout:g}s"
        records = [self._record(RecordType.TIMEOUT, saga, error=error)]
        exhausted = run.attempt >= policy.attempts(run.kind is Kind.COMPENSATION)
        if run.kind is Kind.FORWARD and exhausted:
            step, _ = self._current(saga)
            cause = f"{step.name} timed out after {run.attempt} attempts"
            failed = evolve(
                _close(saga, RunStatus.TIMED_OUT, now, error=cause), failed_step=step.name, error=cause
            )
            # The step may have run before its reply was lost, so it is compensated too.
            return _settled(saga, self._compensate(failed, run.step, FAILED, records, now))
        return _settled(saga, self._retry_or_park(saga, error, records, now))

    @staticmethod
    def may_cancel(phase: Phase) -> bool:
        """Whether a saga in this phase may be cancelled: only one still going forward."""
        return phase is Phase.FORWARD

    @staticmethod
    def may_resume(phase: Phase) -> bool:
        """Whether a saga in this phase may be resumed: only one parked."""
        return phase is Phase.PARKED

    def cancel(self, saga: Saga, now: datetime, actor: str) -> Decision | None:
        """Stops a saga still going forward; the step in flight may have run, so it is undone too.
        The history names the actor who asked."""
        if not self.may_cancel(saga.phase) or saga.current is None:
            return None
        records = [Record(RecordType.CANCEL_REQUESTED, state=saga.status, actor=actor)]
        abandoned = _close(saga, RunStatus.ABANDONED, now)
        return _settled(saga, self._compensate(abandoned, saga.current.step, CANCELLED, records, now))

    def resume(self, saga: Saga, now: datetime, actor: str) -> Decision | None:
        """Retries the compensation that ran out of attempts, on the word of the actor named."""
        if not self.may_resume(saga.phase) or saga.current is None:
            return None
        records = [Record(RecordType.RESUMED, state=saga.progress, actor=actor)]
        run = evolve(saga.current, attempt=0, error=None)
        resumed = _put(evolve(saga, phase=Phase.COMPENSATING), run)
        return _settled(saga, self._send(resumed, records, now))

    def _current(self, saga: Saga) -> tuple[Step, Action]:
        run = _run(saga)
        step = self.workflow.steps[run.step]
        return step, step.action if run.kind is Kind.FORWARD else step.compensation

    def _record(self, type: RecordType, saga: Saga, **fields: Any) -> Record:
        run = _run(saga)
        step = self.workflow.steps[run.step]
        action = step.action if run.kind is Kind.FORWARD else step.compensation
        return Record(
            type, step=step.name, service=step.service, command=action.command, attempt=run.attempt, **fields
        )

    def _open(self, saga: Saga, step: int, kind: Kind, now: datetime) -> Saga:
        return _put(saga, StepRun(step, kind, 0, RunStatus.RUNNING, None, now))

    def _send(self, saga: Saga, records: list[Record], now: datetime) -> Decision:
        """Sends the current run's command (again)."""
        run = _run(saga)
        step, action = self._current(saga)
        deadline = now + timedelta(seconds=self._policies[run.step].step_timeout)
        sent = _put(saga, evolve(run, attempt=run.attempt + 1, status=RunStatus.RUNNING, deadline=deadline))
        payload = {field: saga.input[field] for field in step.carries}
        records.append(self._record(RecordType.COMMAND, sent))
        return Decision(
            sent, records, [Dispatch(step.service, action.command, deadline, payload, run.attempt + 1)]
        )

    def _advance(self, saga: Saga, records: list[Record], now: datetime) -> Decision:
        """Moves on from the run that just succeeded."""
        run = _run(saga)
        step, action = self._current(saga)
        saga = evolve(saga, progress=action.reaches)
        records.append(Record(RecordType.STATE, state=action.reaches, step=step.name))
        if run.kind is Kind.COMPENSATION:
            return self._next_compensation(saga, run.step - 1, records, now)
        if run.step + 1 == len(self.workflow.steps):
            return self._finish(saga, COMPLETED, records)
        return self._send(self._open(saga, run.step + 1, Kind.FORWARD, now), records, now)

    def _compensate(
        self, saga: Saga, last_step: int, outcome: str, records: list[Record], now: datetime
    ) -> Decision:
        compensating = evolve(saga, phase=Phase.COMPENSATING, outcome=outcome)
        return self._next_compensation(compensating, last_step, records, now)

    def _next_compensation(self, saga: Saga, step: int, records: list[Record], now: datetime) -> Decision:
        if step < 0:
            return self._finish(saga, saga.outcome or FAILED, records)
        return self._send(self._open(saga, step, Kind.COMPENSATION, now), records, now)

    def _retry_or_park(self, saga: Saga, error: str, records: list[Record], now: datetime) -> Decision:
        run = evolve(_run(saga), error=error)
        policy = self._policies[run.step]
        if run.attempt < policy.attempts(run.kind is Kind.COMPENSATION):
            wake_at = now + timedelta(seconds=policy.backoff(run.attempt))
            waiting = _put(saga, evolve(run, status=RunStatus.RETRYING, deadline=wake_at))
            records.append(self._record(RecordType.RETRY_SCHEDULED, waiting, error=error))
            return Decision(waiting, records)
        parked = _put(evolve(saga, phase=Phase.PARKED), evolve(run, status=RunStatus.PARKED, deadline=None))
        step, _ = self._current(saga)
        records.append(Record(RecordType.STATE, state=COMPENSATION_FAILED, step=step.name, error=error))
        return Decision(parked, records)

    def _finish(self, saga: Saga, outcome: str, records: list[Record]) -> Decision:
        records.append(Record(RecordType.STATE, state=outcome))
        return Decision(evolve(saga, phase=Phase.DONE, outcome=outcome), records)


def _run(saga: Saga) -> StepRun:
    """The run the saga works on (the newest), which every saga at work has."""
    return saga.runs[-1]


def _put(saga: Saga, run: StepRun) -> Saga:
    """The saga with `run` in place of its run of the same step and kind, or added as the newest."""
    runs = saga.runs
    if runs and runs[-1].step == run.step and runs[-1].kind is run.kind:  # the usual case: the newest
        return evolve(saga, runs=(*runs[:-1], run))
    kept = tuple(r for r in runs if (r.step, r.kind) != (run.step, run.kind))
    return evolve(saga, runs=(*kept, run))


def _close(
    saga: Saga,
    status: RunStatus,
    now: datetime,
    *,
    result: dict[str, Any] | None = None,
    error: str | None = None,
) -> Saga:
    run = _run(saga)
    return _put(saga, evolve(run, status=status, deadline=None, finished_at=now, result=result, error=error))


def _settled(before: Saga, decision: Decision) -> Decision:
    """Keeps the open runs in the saga and names every run the decision changed, ended ones included."""
    runs = decision.saga.runs
    changed = [run for run in runs if run not in before.runs]
    saga = evolve(decision.saga, runs=tuple(run for run in runs if run.open))
    return Decision(saga, decision.records, decision.dispatches, changed)
