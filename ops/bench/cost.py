"""What one saga needs of the machine at least, from its workflow's steps: the commits and messages
that the ceiling (`ceiling.py`) is divided by."""

from dataclasses import dataclass
from typing import Any

from ops.bench.ceiling import Ceiling
from ops.bench.options import order_input
from ops.traffic import FAIL_QUANTITY, FAILS_AT
from saga_orchestrator.engine.conditions import MISSING, Ref, holds
from saga_orchestrator.engine.definition import Step, Workflow


@dataclass(frozen=True)
class SagaCost:
    commits: float
    messages: float

    @classmethod
    def of_mix(cls, workflow: Workflow, failure_share: float) -> "SagaCost":
        """A saga that completes sends the command of each step its input does not skip; one that
        fails at shipping (FAIL_QUANTITY) sends those up to shipping and compensates the ones before
        it. Each command has its reply; the orchestrator commits the start and each reply, each
        service each command."""
        completing = len(_sent(workflow, 1))
        failing = _refused_at_shipping(_sent(workflow, FAIL_QUANTITY))
        commands = (1 - failure_share) * completing + failure_share * failing
        return cls(commits=1 + 2 * commands, messages=2 * commands)

    def bound(self, ceiling: Ceiling) -> float:
        """Sagas per second the machine allows if every commit and every message served one saga
        alone: the scarcer of commits and published messages. Batches go past it."""
        return min(ceiling.pg_commits_per_s / self.commits, ceiling.mq_published_per_s / self.messages)


def _sent(workflow: Workflow, quantity: int) -> list[Step]:
    """The steps whose conditions hold for a bench saga of `quantity`; an earlier step's result,
    which only the run knows, is read as missing."""
    given = order_input("cost", quantity)

    def value(ref: Ref) -> Any:
        return given.get(ref.field, MISSING) if ref.of_input else MISSING

    return [step for step in workflow.steps if step.when is None or holds(step.when, value)]


def _refused_at_shipping(sent: list[Step]) -> int:
    """The commands of a saga whose step at FAILS_AT is refused: the steps up to it, then the
    compensations of those before it."""
    at = next((place for place, step in enumerate(sent) if step.service == FAILS_AT), None)
    if at is None:
        return len(sent)
    return at + 1 + sum(1 for step in sent[:at] if step.compensation is not None)
