"""A workflow as data: stages run one after another, each of one step or of a group of steps sent
together; each step names its service, its command and, before the pivot, its compensation."""

from dataclasses import dataclass, field, fields, replace
from enum import StrEnum
from functools import cached_property

from saga_orchestrator.engine.conditions import Condition, Ref, refs

STARTED = "STARTED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
COMPENSATION_FAILED = "COMPENSATION_FAILED"  # a compensation ran out of attempts
COMPLETION_FAILED = "COMPLETION_FAILED"  # past the pivot, a step ran out of attempts
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})


@dataclass(frozen=True)
class Action:
    """A command sent to the step's service, and the state the saga reaches when it succeeds."""

    command: str
    reaches: str
    carries: tuple[str, ...] = ()  # what it carries beyond its step's `carries`


class StepKind(StrEnum):
    """The kinds of step of the saga literature: which can be undone, which decides, which must end."""

    COMPENSABLE = "compensable"  # undone by its compensation when the saga fails
    PIVOT = "pivot"  # once it succeeds, the saga goes forward only: nothing is compensated
    RETRIABLE = "retriable"  # after the pivot; sent again until it succeeds, or parked for an operator


@dataclass(frozen=True)
class Overrides:
    """What a step changes of the default retry policy; None keeps the default."""

    step_timeout: float | None = None
    max_attempts: int | None = None
    compensation_max_attempts: int | None = None
    backoff_base: float | None = None
    backoff_cap: float | None = None

    def over(self, policy: "RetryPolicy") -> "RetryPolicy":
        changed = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}
        return replace(policy, **changed)


@dataclass(frozen=True)
class Step:
    service: str
    action: Action
    compensation: Action | None  # a compensable step's; pivots and retriable steps have none
    # What its commands carry: input fields by name, earlier steps' outputs as `<command>.<field>`.
    carries: tuple[str, ...]
    overrides: Overrides = field(default_factory=Overrides)
    kind: StepKind = StepKind.COMPENSABLE
    group: int | None = None  # neighbouring steps of one group form one stage and are sent together
    when: Condition | None = None  # runs only if it holds; skipped otherwise
    outputs: tuple[str, ...] = ()  # the fields of its result that later commands may carry

    @property
    def name(self) -> str:
        return self.action.command

    @property
    def actions(self) -> tuple[Action, ...]:
        return (self.action,) if self.compensation is None else (self.action, self.compensation)


@dataclass(frozen=True)
class Workflow:
    name: str
    key: str  # the input field that names a saga to its users
    steps: tuple[Step, ...]
    version: int = 1  # a saga keeps the version it started on to its end

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"workflow {self.name} has no steps")
        actions = [action for step in self.steps for action in step.actions]
        states = [action.reaches for action in actions]
        commands = [action.command for action in actions]
        reserved = {STARTED, COMPENSATION_FAILED, COMPLETION_FAILED, *TERMINAL}
        if len(set(states)) != len(states) or reserved & set(states):
            raise ValueError(f"workflow {self.name} reuses a state name")
        if len(set(commands)) != len(commands):
            raise ValueError(f"workflow {self.name} reuses a command name")
        _check_kinds(self)
        _check_references(self)

    @cached_property
    def stages(self) -> tuple[tuple[int, ...], ...]:
        """The steps' places, stage by stage: a group's steps share a stage, any other has its own."""
        stages: list[list[int]] = []
        for place, step in enumerate(self.steps):
            joins = stages and step.group is not None and self.steps[place - 1].group == step.group
            if joins:
                stages[-1].append(place)
            else:
                stages.append([place])
        return tuple(map(tuple, stages))

    @cached_property
    def stage_of(self) -> tuple[int, ...]:
        """Each step's stage, by its place."""
        return tuple(stage for stage, places in enumerate(self.stages) for _ in places)

    @property
    def pivot(self) -> int | None:
        """The pivot's place, if the workflow has one."""
        return next((place for place, step in enumerate(self.steps) if step.kind is StepKind.PIVOT), None)

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(action.command for step in self.steps for action in step.actions)

    @property
    def service_of(self) -> dict[str, str]:
        """The service each command goes to, compensations included."""
        return {action.command: step.service for step in self.steps for action in step.actions}

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(step.service for step in self.steps))


@dataclass(frozen=True)
class RetryPolicy:
    """How long a command may take, how often it is retried, and how long to wait in between."""

    step_timeout: float = 5.0
    max_attempts: int = 3
    compensation_max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 30.0

    def backoff(self, attempt: int) -> float:
        return min(self.backoff_base * 2.0 ** (attempt - 1), self.backoff_cap)

    def attempts(self, compensating: bool) -> int:
        return self.compensation_max_attempts if compensating else self.max_attempts


def _check_kinds(workflow: Workflow) -> None:
    """Compensable steps, then at most one pivot, then retriable steps: once the pivot succeeded
    nothing can be undone, so nothing undoable may follow it, and what follows must be able to end."""
    pivots = [place for place, step in enumerate(workflow.steps) if step.kind is StepKind.PIVOT]
    if len(pivots) > 1:
        raise ValueError(f"workflow {workflow.name} has more than one pivot")
    pivot = pivots[0] if pivots else None
    stage_of = workflow.stage_of
    for place, step in enumerate(workflow.steps):
        name = step.name
        if step.kind is StepKind.COMPENSABLE and step.compensation is None:
            raise ValueError(
                f"step {name} has no compensation: give it one, or declare it a pivot or retriable"
            )
        if step.kind is not StepKind.COMPENSABLE and step.compensation is not None:
            raise ValueError(
                f"step {name} is {step.kind.value}, which is never compensated: drop its compensation"
            )
        if step.kind is StepKind.PIVOT and len(workflow.stages[stage_of[place]]) > 1:
            raise ValueError(f"step {name} is the pivot, which cannot be one of a parallel group")
        if step.kind is StepKind.PIVOT and step.when is not None:
            raise ValueError(f"step {name} is the pivot, which decides the saga and cannot be skipped")
        after_pivot = pivot is not None and place > pivot
        if step.kind is StepKind.COMPENSABLE and after_pivot:
            raise ValueError(
                f"step {name} is compensable but follows the pivot, after which nothing is undone"
            )
        if step.kind is StepKind.RETRIABLE and not after_pivot:
            raise ValueError(f"step {name} is retriable, so it must follow a pivot")


def _check_references(workflow: Workflow) -> None:
    """Each value a command carries or a condition reads is an output that an earlier stage
    declares (or, for a compensation, its own step's)."""
    stage_of = workflow.stage_of
    place_of = {step.name: place for place, step in enumerate(workflow.steps)}

    def check(text: str | Ref, place: int, user: str, own_step_too: bool = False) -> None:
        ref = text if isinstance(text, Ref) else Ref.parse(text) if "." in text else None
        if ref is None or ref.of_input:
            return
        source = place_of.get(ref.source)
        if source is None:
            raise ValueError(f"{user} refers to {ref}, but no step starts with command {ref.source}")
        own = own_step_too and source == place
        if not own and stage_of[source] >= stage_of[place]:
            raise ValueError(f"{user} refers to {ref}, which is not known before it runs")
        if ref.field not in workflow.steps[source].outputs:
            raise ValueError(f"{user} refers to {ref}, which {ref.source} does not declare as an output")

    for place, step in enumerate(workflow.steps):
        for carried in step.carries + step.action.carries:
            check(carried, place, f"step {step.name}")
        if step.compensation is not None:
            for carried in step.compensation.carries:
                check(carried, place, f"compensation {step.compensation.command}", own_step_too=True)
        if step.when is not None:
            for compare in refs(step.when):
                check(compare.ref, place, f"the condition of step {step.name}")
        for action in step.actions:
            keys = [carried.rpartition(".")[2] for carried in step.carries + action.carries]
            if len(set(keys)) != len(keys):
                raise ValueError(f"command {action.command} carries two values under one name")
