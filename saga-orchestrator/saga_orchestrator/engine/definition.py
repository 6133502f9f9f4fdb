"""A workflow as data: an ordered list of steps, each naming its service, command and compensation."""

from dataclasses import dataclass, field, fields, replace

STARTED = "STARTED"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
COMPENSATION_FAILED = "COMPENSATION_FAILED"
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED})


@dataclass(frozen=True)
class Action:
    """A command sent to the step's service, and the state the saga reaches when it succeeds."""

    command: str
    reaches: str


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
    compensation: Action
    carries: tuple[str, ...]  # the saga input fields that this step's commands carry
    overrides: Overrides = field(default_factory=Overrides)

    @property
    def name(self) -> str:
        return self.action.command


@dataclass(frozen=True)
class Workflow:
    name: str
    key: str  # the input field that names a saga to its users
    steps: tuple[Step, ...]
    version: int = 1  # a saga keeps the version it started on to its end

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"workflow {self.name} has no steps")
        states = [s.action.reaches for s in self.steps] + [s.compensation.reaches for s in self.steps]
        commands = [s.action.command for s in self.steps] + [s.compensation.command for s in self.steps]
        reserved = {STARTED, COMPENSATION_FAILED, *TERMINAL}
        if len(set(states)) != len(states) or reserved & set(states):
            raise ValueError(f"workflow {self.name} reuses a state name")
        if len(set(commands)) != len(commands):
            raise ValueError(f"workflow {self.name} reuses a command name")

    @property
    def commands(self) -> frozenset[str]:
        return frozenset(action.command for step in self.steps for action in (step.action, step.compensation))

    @property
    def service_of(self) -> dict[str, str]:
        """The service each command goes to, compensations included."""
        return {
            action.command: step.service for step in self.steps for action in (step.action, step.compensation)
        }

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
