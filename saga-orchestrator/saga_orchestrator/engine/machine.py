"""The engine's decisions: given a saga and what just happened, the next state and the commands to send.

Pure functions of their arguments (the clock is passed in), so every path is tested without I/O.
Forward steps run in order; when one fails, times out or the saga is cancelled, the steps that
ran (or may have run) are compensated in reverse.
"""

from dataclasses import dataclass, replace
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
    Awaiting,
    Decision,
    Dispatch,
    Phase,
    Record,
    RecordType,
    Saga,
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
            step=0,
            attempt=0,
            awaiting=Awaiting.NOTHING,
            wake_at=None,
        )
        return self._send(saga, [Record(RecordType.STATE, state=STARTED)], now)

    def on_reply(self, saga: Saga, reply: ReplyArrived, now: datetime) -> Decision | None:
        """Advances on the reply the saga waits for; any other (late, duplicated) changes nothing."""
        if not saga.active:
            return None
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
            return self._advance(saga, records, now)
        if saga.phase is Phase.FORWARD:
            failed = replace(saga, failed_step=step.name, error=reply.error)
            return self._compensate(failed, saga.step - 1, FAILED, records, now)
        return self._retry_or_park(saga, reply.error or "compensation failed", records, now)

    def on_wake(self, saga: Saga, now: datetime) -> Decision | None:
        """Acts on a passed deadline: resend after a backoff, or give the step up."""
        if not saga.active or saga.wake_at is None or saga.wake_at > now:
            return None
        if saga.awaiting is Awaiting.RETRY:
            return self._send(saga, [], now)
        policy = self._policies[saga.step]
        error = f"no reply within {policy.step_timeout:g}s"
        records = [self._record(RecordType.TIMEOUT, saga, error=error)]
        exhausted = saga.attempt >= policy.attempts(saga.phase is Phase.COMPENSATING)
        if saga.phase is Phase.FORWARD and exhausted:
            step, _ = self._current(saga)
            cause = f"{step.name} timed out after {saga.attempt} attempts"
            failed = replace(saga, failed_step=step.name, error=cause)
            # The step may have run before its reply was lost, so it is compensated too.
            return self._compensate(failed, saga.step, FAILED, records, now)
        return self._retry_or_park(saga, error, records, now)

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
        if not self.may_cancel(saga.phase):
            return None
        records = [Record(RecordType.CANCEL_REQUESTED, state=saga.status, actor=actor)]
        return self._compensate(saga, saga.step, CANCELLED, records, now)

    def resume(self, saga: Saga, now: datetime, actor: str) -> Decision | None:
        """Retries the compensation that ran out of attempts, on the word of the actor named."""
        if not self.may_resume(saga.phase):
            return None
        records = [Record(RecordType.RESUMED, state=saga.progress, actor=actor)]
        resumed = replace(saga, phase=Phase.COMPENSATING, attempt=0, last_error=None)
        return self._send(resumed, records, now)

    def _current(self, saga: Saga) -> tuple[Step, Action]:
        step = self.workflow.steps[saga.step]
        return step, step.action if saga.phase is Phase.FORWARD else step.compensation

    def _record(self, type: RecordType, saga: Saga, **fields: Any) -> Record:
        step, action = self._current(saga)
        return Record(
            type,
            step=step.name,
            service=step.service,
            command=action.command,
            attempt=saga.attempt,
            **fields,
        )

    def _send(self, saga: Saga, records: list[Record], now: datetime) -> Decision:
        step, action = self._current(saga)
        deadline = now + timedelta(seconds=self._policies[saga.step].step_timeout)
        sent = replace(saga, attempt=saga.attempt + 1, awaiting=Awaiting.REPLY, wake_at=deadline)
        payload = {field: saga.input[field] for field in step.carries}
        records.append(self._record(RecordType.COMMAND, sent))
        return Decision(
            sent, records, [Dispatch(step.service, action.command, deadline, payload, sent.attempt)]
        )

    def _advance(self, saga: Saga, records: list[Record], now: datetime) -> Decision:
        step, action = self._current(saga)
        saga = replace(saga, progress=action.reaches, last_error=None)
        records.append(Record(RecordType.STATE, state=action.reaches, step=step.name))
        if saga.phase is Phase.COMPENSATING:
            return self._next_compensation(saga, saga.step - 1, records, now)
        if saga.step + 1 == len(self.workflow.steps):
            return self._finish(saga, COMPLETED, records)
        return self._send(replace(saga, step=saga.step + 1, attempt=0), records, now)

    def _compensate(
        self, saga: Saga, last_step: int, outcome: str, records: list[Record], now: datetime
    ) -> Decision:
        compensating = replace(saga, phase=Phase.COMPENSATING, outcome=outcome)
        return self._next_compensation(compensating, last_step, records, now)

    def _next_compensation(self, saga: Saga, step: int, records: list[Record], now: datetime) -> Decision:
        if step < 0:
            return self._finish(saga, saga.outcome or FAILED, records)
        return self._send(replace(saga, step=step, attempt=0, last_error=None), records, now)

    def _retry_or_park(self, saga: Saga, error: str, records: list[Record], now: datetime) -> Decision:
        saga = replace(saga, last_error=error)
        policy = self._policies[saga.step]
        if saga.attempt < policy.attempts(saga.phase is Phase.COMPENSATING):
            wake_at = now + timedelta(seconds=policy.backoff(saga.attempt))
            records.append(self._record(RecordType.RETRY_SCHEDULED, saga, error=error))
            return Decision(replace(saga, awaiting=Awaiting.RETRY, wake_at=wake_at), records)
        parked = replace(saga, phase=Phase.PARKED, awaiting=Awaiting.NOTHING, wake_at=None)
        step, _ = self._current(saga)
        records.append(Record(RecordType.STATE, state=COMPENSATION_FAILED, step=step.name, error=error))
        return Decision(parked, records)

    def _finish(self, saga: Saga, outcome: str, records: list[Record]) -> Decision:
        done = replace(
            saga, phase=Phase.DONE, outcome=outcome, awaiting=Awaiting.NOTHING, wake_at=None, last_error=None
        )
        records.append(Record(RecordType.STATE, state=outcome))
        return Decision(done, records)
