"""The dashboard's filters: sagas by phase, by a prefix of their key, and the recently finished
(the partial index holds only finished sagas' times, for the overview's last minutes).

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX sagas_phase_created_at ON sagas (phase, created_at DESC)")
    op.execute("CREATE INDEX sagas_saga_key_prefix ON sagas (saga_key text_pattern_ops)")
    op.execute("CREATE INDEX sagas_finished_at ON sagas (finished_at) WHERE finished_at IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX sagas_finished_at")
    op.execute("DROP INDEX sagas_saga_key_prefix")
    op.execute("DROP INDEX sagas_phase_created_at")
