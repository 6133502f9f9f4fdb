"""A workflow file's shape, validated at load. Its JSON Schema ships beside the files
(`workflow.schema.json`, written by `python -m saga_orchestrator.workflows.schema`), for editors."""

import hashlib
from typing import Annotated, Literal, Self

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from saga_orchestrator.engine.definition import Action, Overrides, Step, Workflow

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Command = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
State = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{0,63}$")]
FieldName = Annotated[str, Field(pattern=r"^[a-z][A-Za-z0-9]{0,63}$")]
FieldType = Literal["identifier", "quantity", "amount"]


class Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


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


class StepFile(Policy):
    service: Name
    action: ActionFile
    compensation: ActionFile
    carries: list[FieldName] = Field(min_length=1, description="the input fields its commands carry")


class WorkflowFile(Strict):
    """A workflow: its name and version, the input that starts it, and its steps in order."""

    name: Name
    version: int = Field(ge=1, description="a changed definition needs a new version")
    description: str = ""
    key: FieldName = Field(description="the input field that names a saga, unique within the workflow")
    input: dict[FieldName, FieldType] = Field(min_length=1, description="each input field and its type")
    steps: list[StepFile] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_are_declared(self) -> Self:
        if self.key not in self.input:
            raise ValueError(f"the key {self.key!r} is not an input field")
        if self.input[self.key] != "identifier":  # it is a URL's path segment and a saga's name
            raise ValueError(f"the key {self.key!r} must be an identifier")
        for step in self.steps:
            if undeclared := [f for f in step.carries if f not in self.input]:
                raise ValueError(f"step {step.action.command} carries undeclared input {undeclared}")
        return self

    def digest(self) -> str:
        """The content hash a saga's definition is stored under: of the meaning, not the layout."""
        canonical = orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(canonical).hexdigest()

    def workflow(self) -> Workflow:
        """What the engine runs; it checks states and commands for reuse."""
        return Workflow(
            name=self.name,
            key=self.key,
            version=self.version,
            steps=tuple(
                Step(
                    service=step.service,
                    action=Action(step.action.command, step.action.reaches),
                    compensation=Action(step.compensation.command, step.compensation.reaches),
                    carries=tuple(step.carries),
                    overrides=Overrides(
                        step_timeout=step.deadline_seconds,
                        max_attempts=step.max_attempts,
                        compensation_max_attempts=step.compensation_max_attempts,
                        backoff_base=step.backoff_base_seconds,
                        backoff_cap=step.backoff_cap_seconds,
                    ),
                )
                for step in self.steps
            ),
        )
