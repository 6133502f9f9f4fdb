"""Baseline: the inbox every service keeps, and the notifications.

Revision ID: 0001
"""

from alembic import op

from shared.migrations import baseline as inbox

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# None: the service came after the SQL scripts, so no database of it was ever built by their runner.
LEGACY_SCRIPTS: tuple[str, ...] = ()

SQL = (
    *inbox.SQL,
    """
-- One notification per saga: a command repeated under another message id finds it and sends nothing.
CREATE TABLE notifications (
    saga_id         uuid PRIMARY KEY,
    notification_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id        text NOT NULL,
    shipment_id     text NOT NULL,
    status          text NOT NULL CONSTRAINT notifications_status_check CHECK (status IN ('SENT')),
    created_at      timestamptz NOT NULL DEFAULT now()
)
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
