"""Definitions and rows to the bodies of the workflows' own routes."""

from itertools import pairwise

import asyncpg

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
from saga_orchestrator.engine.definition import Workflow
from saga_orchestrator.workflows.loader import Definition


def graph(definition: Definition) -> WorkflowGraph:
    source = definition.source
    nodes = [
        StepNode(
            id=step.action.command,
            service=step.service,
            command=step.action.command,
            reaches=step.action.reaches,
            compensation=step.compensation.command if step.compensation else None,
            compensation_reaches=step.compensation.reaches if step.compensation else None,
            carries=step.carries,
            deadline_seconds=step.deadline_seconds,
            max_attempts=step.max_attempts,
            compensation_max_attempts=step.compensation_max_attempts,
        )
        for step in source.flat_steps
    ]
    pairs = list(pairwise(nodes))
    edges = [Edge(source=a.id, target=b.id, kind="next") for a, b in pairs]
    edges += [Edge(source=b.id, target=a.id, kind="compensate") for a, b in pairs]
    return WorkflowGraph(
        name=source.name,
        version=source.version,
        digest=definition.digest,
        description=source.description,
        key=source.key,
        input=dict(source.input),
        nodes=nodes,
        edges=edges,
    )


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
