"""The orchestrator replica that wrote each history record, so that a saga's timeline shows which
replica handled each event. The records from before stay without one.

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None

SQL = ("ALTER TABLE saga_events ADD COLUMN replica text",)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    op.execute("ALTER TABLE saga_events DROP COLUMN replica")
