"""Definitions and rows to the bodies of the workflows' own routes."""

from itertools import pairwise

import asyncpg

from saga_orchestrator.api import condition_view
from saga_orchestrator.api.queries_view import state
from saga_orchestrator.api.workflow_schemas import (
    Edge,
    StepNode,
    WorkflowGraph,
    WorkflowList,
    WorkflowSagaStatus,
    WorkflowSummary,
    WorkflowVersion,
)
from saga_orchestrator.engine.definition import Step, StepKind, Workflow
from saga_orchestrator.workflows.loader import Definition


def graph(definition: Definition) -> WorkflowGraph:
    source, workflow = definition.source, definition.workflow
    nodes = [
        _node(workflow.steps[place], stage)
        for stage, places in enumerate(workflow.stages)
        for place in places
    ]
    return WorkflowGraph(
        name=source.name,
        version=source.version,
        digest=definition.digest,
        description=source.description,
        key=source.key,
        input=dict(source.input),
        nodes=nodes,
        edges=_edges(workflow),
    )


def _node(step: Step, stage: int) -> StepNode:
    compensation, overrides = step.compensation, step.overrides
    return StepNode(
        id=step.name,
        service=step.service,
        command=step.action.command,
        reaches=step.action.reaches,
        compensation=compensation.command if compensation else None,
        compensation_reaches=compensation.reaches if compensation else None,
        carries=list(step.carries),
        deadline_seconds=overrides.step_timeout,
        max_attempts=overrides.max_attempts,
        compensation_max_attempts=overrides.compensation_max_attempts,
        kind=step.kind,
        stage=stage,
        group=step.group,
        when=None if step.when is None else condition_view.as_data(step.when),
        when_text=None if step.when is None else condition_view.as_text(step.when),
        outputs=list(step.outputs),
    )


def _edges(workflow: Workflow) -> list[Edge]:
    """`next` from each step of a stage to each step of the next; `compensate` the other way, between
    compensable steps only: the pivot and what follows it are never undone."""
    names = [step.name for step in workflow.steps]
    compensable = {place for place, step in enumerate(workflow.steps) if step.kind is StepKind.COMPENSABLE}
    forward = [(a, b) for earlier, later in pairwise(workflow.stages) for a in earlier for b in later]
    edges = [Edge(source=names[a], target=names[b], kind="next") for a, b in forward]
    edges += [
        Edge(source=names[b], target=names[a], kind="compensate") for a, b in forward if {a, b} <= compensable
    ]
    return edges


def catalogue(rows: list[asyncpg.Record], current: dict[str, Definition]) -> WorkflowList:
    """Every workflow deployed or with stored versions, each version with its running sagas."""
    summaries: dict[str, list[WorkflowVersion]] = {name: [] for name in sorted(current)}
    for row in rows:
        now = current.get(row["workflow"])
        summaries.setdefault(row["workflow"], []).append(
            WorkflowVersion(
                version=row["version"],
                digest=row["digest"],
                current=now is not None and now.digest == row["digest"],
                running=row["running"],
            )
        )
    return WorkflowList(workflows=[WorkflowSummary(name=n, versions=v) for n, v in summaries.items()])


def status(row: asyncpg.Record, workflow: Workflow) -> WorkflowSagaStatus:
    return WorkflowSagaStatus(
        workflow=row["workflow"], version=row["workflow_version"], key=row["saga_key"], **state(row, workflow)
    )
