"""Response bodies of the workflows' own routes, `/workflows/...`."""

from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Path, Query
from pydantic import Field

from saga_orchestrator.api.schemas import Body, HistoryEvent, SagaState
from saga_orchestrator.engine.definition import StepKind
from shared.contracts import IDENTIFIER_PATTERN

SagaKey = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, description="the saga's key in its workflow")]
WorkflowName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{0,31}$", description="the workflow's name")]
VersionFilter = Annotated[
    int | None, Query(ge=1, le=2**31 - 1, description="a version; the current one if left out")
]


class WorkflowSagaStarted(Body):
    saga_id: UUID
    workflow: str
    version: int = Field(description="the version of the definition the saga runs on to its end")
    key: str
    status: str


class WorkflowSagaStatus(SagaState):
    workflow: str
    version: int = Field(description="the version of the definition the saga runs on to its end")
    key: str


class WorkflowSagaHistory(Body):
    saga_id: UUID
    workflow: str
    key: str
    events: list[HistoryEvent]


class WorkflowVersion(Body):
    version: int
    digest: str = Field(description="SHA-256 of the definition's content")
    current: bool = Field(description="whether new sagas start on it")
    running: int = Field(description="its sagas not finished yet (parked ones included)")


class WorkflowSummary(Body):
    name: str
    versions: list[WorkflowVersion]


class WorkflowList(Body):
    workflows: list[WorkflowSummary]


class StepNode(Body):
    id: str = Field(description="the step's name: its command")
    service: str
    command: str
    reaches: str
    compensation: str | None = Field(description="none for a pivot or a retriable step")
    compensation_reaches: str | None
    carries: list[str] = Field(description="input fields, and earlier steps' outputs as <command>.<field>")
    deadline_seconds: float | None = None
    max_attempts: int | None = None
    compensation_max_attempts: int | None = None
    kind: StepKind
    stage: int = Field(description="the stage it runs in, from 0; the steps of a stage are sent together")
    group: int | None = Field(
        description="the parallel group it is one of; none for a step alone in its stage"
    )
    when: dict[str, Any] | None = Field(description="its condition, as the workflow file writes it")
    when_text: str | None = Field(description="its condition as text, e.g. `input.amount > 1000`")
    outputs: list[str] = Field(description="the fields of its result that later commands may carry")


class Edge(Body):
    source: str
    target: str
    kind: Literal["next", "compensate"] = Field(
        description="`next` runs after its source's stage succeeded; `compensate` is undone after its"
        " source was"
    )


class WorkflowGraph(Body):
    """A definition as a graph that tools can draw: its steps as nodes, each in its stage, and `next`
    edges from every step of a stage to every step of the next; `compensate` edges back between
    compensable steps, so none leads out of the pivot or past it."""

    name: str
    version: int
    digest: str
    description: str
    key: str
    input: dict[str, Any] = Field(description="each input field's type")
    nodes: list[StepNode]
    edges: list[Edge]
