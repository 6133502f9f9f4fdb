"""Workflow definitions by content hash: each distinct one stored once, read back by version."""

import asyncpg

from saga_orchestrator.workflows.loader import Definition, InvalidWorkflow
from saga_orchestrator.workflows.model import WorkflowFile

INSERT = """
INSERT INTO workflow_definitions (digest, workflow, version, definition) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING
"""

RUNNING = """
SELECT d.workflow, d.version, d.digest, coalesce(r.running, 0) AS running
FROM workflow_definitions d
LEFT JOIN (
    SELECT workflow, workflow_version, count(*) AS running FROM sagas WHERE phase <> 'DONE'
    GROUP BY workflow, workflow_version
) r ON r.workflow = d.workflow AND r.workflow_version = d.version
ORDER BY d.workflow, d.version
"""


async def store(pool: asyncpg.Pool, definitions: list[Definition]) -> None:
    """Stores each definition unless stored already; a version stored with other content is refused,
    since the sagas pinned to that version would otherwise change their steps."""
    for d in definitions:
        name, version = d.workflow.name, d.workflow.version
        await pool.execute(INSERT, d.digest, name, version, d.source.canonical())
        stored = await pool.fetchval(
            "SELECT digest FROM workflow_definitions WHERE workflow = $1 AND version = $2", name, version
        )
        if stored != d.digest:
            raise InvalidWorkflow(
                f"{d.origin}: version {version} of workflow {name!r} is stored with other content;"
                " a changed definition needs a new version"
            )


async def load(pool: asyncpg.Pool, workflow: str, version: int) -> Definition | None:
    row = await pool.fetchrow(
        "SELECT digest, definition FROM workflow_definitions WHERE workflow = $1 AND version = $2",
        workflow,
        version,
    )
    return None if row is None else _definition(row)


async def running(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    """Every stored version, with how many of its sagas have not finished."""
    rows: list[asyncpg.Record] = await pool.fetch(RUNNING)
    return rows


async def load_all(pool: asyncpg.Pool | asyncpg.Connection) -> list[Definition]:
    """Every version stored, for sagas pinned to one no longer deployed (and for the audit)."""
    rows = await pool.fetch("SELECT digest, definition FROM workflow_definitions")
    return [_definition(row) for row in rows]


def _definition(row: asyncpg.Record) -> Definition:
    return Definition.of(WorkflowFile.model_validate(row["definition"]), f"database ({row['digest']})")
