"""The saga list's filters: the sagas of one workflow, and those stuck in a running phase (the
partial index holds only running sagas, so it stays small however many have finished).

Revision ID: 0004
"""

from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX sagas_workflow_created_at ON sagas (workflow, created_at DESC)")
    op.execute(
        "CREATE INDEX sagas_running_updated_at ON sagas (updated_at)"
        " WHERE phase IN ('FORWARD', 'COMPENSATING')"
    )


def downgrade() -> None:
    op.execute("DROP INDEX sagas_running_updated_at")
    op.execute("DROP INDEX sagas_workflow_created_at")
