"""A shipment records the payment it goes out against, where the workflow carries it; shipments of
workflows that carry none, and those from before, have none.

Revision ID: 0002
"""

from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE shipments ADD COLUMN payment_id text")


def downgrade() -> None:
    op.execute("ALTER TABLE shipments DROP COLUMN payment_id")
