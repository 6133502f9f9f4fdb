"""Workflow versions: each saga runs on the version it started with, each version's definition is
stored once under its content hash, and a key names a saga within its workflow.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

SQL = (
    # Stored once per distinct definition, so that sagas on a version no longer deployed can finish.
    """
CREATE TABLE workflow_definitions (
    digest     text PRIMARY KEY,
    workflow   text NOT NULL,
    version    int NOT NULL,
    definition jsonb NOT NULL,
    stored_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workflow, version)
)
""",
    # The sagas started before versions existed ran on version 1, which these definitions began with.
    "ALTER TABLE sagas ADD COLUMN workflow_version int NOT NULL DEFAULT 1",
    # A key names a saga within its workflow: another workflow may use the same key.
    "ALTER TABLE sagas DROP CONSTRAINT sagas_saga_key_key",
    "ALTER TABLE sagas ADD CONSTRAINT sagas_workflow_saga_key_key UNIQUE (workflow, saga_key)",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    op.execute("ALTER TABLE sagas DROP CONSTRAINT sagas_workflow_saga_key_key")
    op.execute("ALTER TABLE sagas ADD CONSTRAINT sagas_saga_key_key UNIQUE (saga_key)")
    op.execute("ALTER TABLE sagas DROP COLUMN workflow_version")
    op.execute("DROP TABLE workflow_definitions")
