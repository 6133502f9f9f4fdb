"""A workflow file's shape, validated at load. Its JSON Schema ships beside the files
(`workflow.schema.json`, written by `python -m saga_orchestrator.workflows.schema`), for editors."""

import hashlib
from typing import Annotated, Any, Literal, Self

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    Tag,
    model_serializer,
    model_validator,
)

from saga_orchestrator.engine import conditions
from saga_orchestrator.engine.conditions import Condition, Ref
from saga_orchestrator.engine.definition import Action, Overrides, Step, StepKind, Workflow

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Command = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
State = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
FieldName = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
FieldType = Literal["identifier", "quantity", "amount"]
NUMERIC: frozenset[FieldType] = frozenset(("quantity", "amount"))
# An input field by name, or an earlier step's output as `<command>.<field>`.
Carried = Annotated[
    str,
    Field(
        pattern=r"^([a-z][A-Za-z0-9]{0,63}\.)?[a-z][A-Za-z0-9]{0,63}$",
        examples=["amount", "processPayment.paymentId"],
    ),
]
Reference = Annotated[
    str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}\.[a-z][A-Za-z0-9]{0,63}$", examples=["input.amount"])
]
Literal_ = str | int | float | bool | None


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Comparison(Strict):
    """A value compared with a literal: exactly one of the operators."""

    ref: Reference = Field(description="input.<field>, or <command>.<field> of an earlier step's result")
    eq: Literal_ = None
    ne: Literal_ = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    in_: list[Literal_] | None = Field(default=None, alias="in", min_length=1)

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _one_operator(self) -> Self:
        if len(self.model_fields_set - {"ref"}) != 1:
            raise ValueError(f"the comparison of {self.ref} needs exactly one of eq, ne, gt, ge, lt, le, in")
        return self

    @model_serializer(mode="wrap")
    def _as_written(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """The reference and its one operator: the others are unset, and `eq: null` would be one."""
        dumped: dict[str, Any] = handler(self)
        fields = type(self).model_fields
        unset = {fields[name].alias or name for name in fields.keys() - self.model_fields_set}
        return {key: value for key, value in dumped.items() if key not in unset}

    def condition(self) -> Condition:
        (name,) = self.model_fields_set - {"ref"}
        operator = name.rstrip("_")
        value = getattr(self, name)
        literal = tuple(value) if isinstance(value, list) else value
        return conditions.Compare(Ref.parse(self.ref), operator, literal)  # type: ignore[arg-type]


class AllOf(Strict):
    all: list["ConditionFile"] = Field(min_length=1, description="holds when every one holds")

    def condition(self) -> Condition:
        return conditions.AllOf(tuple(term.condition() for term in self.all))


class AnyOf(Strict):
    any: list["ConditionFile"] = Field(min_length=1, description="holds when at least one holds")

    def condition(self) -> Condition:
        return conditions.AnyOf(tuple(term.condition() for term in self.any))


class NotOf(Strict):
    not_: "ConditionFile" = Field(alias="not", description="holds when it does not")

    model_config = ConfigDict(populate_by_name=True)

    def condition(self) -> Condition:
        return conditions.Not(self.not_.condition())


def _shape(combinations: tuple[str, ...]) -> Any:
    """Tells the shapes of a union apart by the key only one of them has, so that a mistake is
    reported against the shape meant, not against every shape there is."""

    def tag(value: Any) -> str:
        keys = (
            value.keys()
            if isinstance(value, dict)
            else {field.alias or name for name, field in type(value).model_fields.items()}
        )
        return next((name for name in combinations if name in keys), "")

    return Discriminator(tag)


# Tagged with their key (and the comparison with ""): the loader leaves the tags out of the places
# it names in a problem.
ConditionFile = Annotated[
    Annotated[Comparison, Tag("")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotOf, Tag("not")],
    _shape(("all", "any", "not")),
]


class Policy(Strict):
    """Overrides of the orchestrator's defaults for one step; what is left out keeps the default."""

    deadline_seconds: float | None = Field(default=None, gt=0, description="how long a command may take")
    max_attempts: int | None = Field(default=None, ge=1)
    compensation_max_attempts: int | None = Field(default=None, ge=1)
    backoff_base_seconds: float | None = Field(default=None, gt=0)
    backoff_cap_seconds: float | None = Field(default=None, gt=0)


class ActionFile(Strict):
    command: Command
    reaches: State = Field(description="the state the saga is in once the command succeeded")


class CompensationFile(ActionFile):
    carries: list[Carried] = Field(
        default_factory=list, description="what it carries beyond its step's carries, e.g. its step's outputs"
    )


# What this format gained after its first release, with the values that mean "as before": left out of
# a definition's canonical form while they hold them, so that a file's content hash, under which its
# version is stored, outlives releases of the format.
_ADDED_DEFAULTS: dict[str, Any] = {"kind": StepKind.COMPENSABLE.value, "when": None, "outputs": []}


class StepFile(Policy):
    service: Name
    kind: StepKind = Field(
        default=StepKind.COMPENSABLE,
        description="compensable (undone on failure), pivot (after it, nothing is undone) or retriable",
    )
    when: ConditionFile | None = Field(default=None, description="the step runs only if this holds")
    action: ActionFile
    compensation: CompensationFile | None = Field(default=None, description="for a compensable step")
    carries: list[Carried] = Field(
        min_length=1, description="input fields, and earlier steps' outputs as <command>.<field>"
    )
    outputs: list[FieldName] = Field(
        default_factory=list, description="fields of its result that later commands may carry"
    )

    @model_serializer(mode="wrap")
    def _canonical(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        dumped: dict[str, Any] = handler(self)
        for name, default in _ADDED_DEFAULTS.items():
            if dumped.get(name, default) == default:
                dumped.pop(name, None)
        if dumped.get("compensation") and not dumped["compensation"].get("carries"):
            dumped["compensation"].pop("carries", None)
        return dumped

    def step(self, group: int | None) -> Step:
        compensation = self.compensation
        return Step(
            service=self.service,
            action=Action(self.action.command, self.action.reaches),
            compensation=None
            if compensation is None
            else Action(compensation.command, compensation.reaches, tuple(compensation.carries)),
            carries=tuple(self.carries),
            overrides=Overrides(
                step_timeout=self.deadline_seconds,
                max_attempts=self.max_attempts,
                compensation_max_attempts=self.compensation_max_attempts,
                backoff_base=self.backoff_base_seconds,
                backoff_cap=self.backoff_cap_seconds,
            ),
            kind=self.kind,
            group=group,
            when=None if self.when is None else self.when.condition(),
            outputs=tuple(self.outputs),
        )


class ParallelFile(Strict):
    """Steps sent together; the group succeeds when each of them succeeded."""

    parallel: list[StepFile] = Field(min_length=2)


class WorkflowFile(Strict):
    """A workflow: its name and version, the input that starts it, and its steps in order."""

    name: Name
    version: int = Field(ge=1, description="a changed definition needs a new version")
    description: str = ""
    key: FieldName = Field(description="the input field that names a saga, unique within the workflow")
    input: dict[FieldName, FieldType] = Field(min_length=1, description="each input field and its type")
    steps: list[
        Annotated[
            Annotated[StepFile, Tag("")] | Annotated[ParallelFile, Tag("parallel")], _shape(("parallel",))
        ]
    ] = Field(min_length=1, description="its stages, in order")

    @property
    def flat_steps(self) -> list[StepFile]:
        return [
            s
            for entry in self.steps
            for s in (entry.parallel if isinstance(entry, ParallelFile) else [entry])
        ]

    @model_validator(mode="after")
    def _fields_are_declared(self) -> Self:
        if self.key not in self.input:
            raise ValueError(f"the key {self.key!r} is not an input field")
        if self.input[self.key] != "identifier":  # it is a URL's path segment and a saga's name
            raise ValueError(f"the key {self.key!r} must be an identifier")
        for step in self.flat_steps:
            carried = [*step.carries, *(step.compensation.carries if step.compensation else [])]
            if undeclared := [f for f in carried if "." not in f and f not in self.input]:
                raise ValueError(f"step {step.action.command} carries undeclared input {undeclared}")
            if step.when is not None:
                for compare in conditions.refs(step.when.condition()):
                    self._check_comparison(step.action.command, compare)
        return self

    def _check_comparison(self, command: str, compare: conditions.Compare) -> None:
        """An input field compared is declared, and compared as what it is: a number or a name."""
        if not compare.ref.of_input:
            return  # an output's type is its service's: checked as it arrives
        kind = self.input.get(compare.ref.field)
        if kind is None:
            raise ValueError(f"the condition of step {command} reads undeclared input {compare.ref}")
        values = compare.value if isinstance(compare.value, tuple) else (compare.value,)
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if (kind in NUMERIC) != numeric:
            wanted = "numbers" if kind in NUMERIC else "text"
            raise ValueError(
                f"the condition of step {command} compares {compare.ref}, of type {kind},"
                f" with other than {wanted}"
            )

    def canonical(self) -> dict[str, Any]:
        """The definition as stored, and as hashed."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=False)

    def digest(self) -> str:
        """The content hash a saga's definition is stored under: of the meaning, not the layout."""
        canonical = orjson.dumps(self.canonical(), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()

    def workflow(self) -> Workflow:
        """What the engine runs; it checks states, commands, kinds and references."""
        steps = [
            step.step(group if isinstance(entry, ParallelFile) else None)
            for group, entry in enumerate(self.steps)
            for step in (entry.parallel if isinstance(entry, ParallelFile) else [entry])
        ]
        return Workflow(name=self.name, key=self.key, version=self.version, steps=tuple(steps))
