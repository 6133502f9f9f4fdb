"""The notification service's database, declared once: its notifications and the inbox. Alembic's
revisions in `migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import CheckConstraint, Column, MetaData, Table, func
from sqlalchemy.dialects.postgresql import TEXT, TIMESTAMP, UUID

from shared.schema import inbox_table

metadata = MetaData()
inbox = inbox_table(metadata)

# One notification per saga: a command repeated under another message id finds it and sends nothing.
notifications = Table(
    "notifications",
    metadata,
    Column("saga_id", UUID, primary_key=True),
    Column("notification_id", UUID, nullable=False, unique=True, server_default=func.gen_random_uuid()),
    Column("order_id", TEXT, nullable=False),
    Column("shipment_id", TEXT, nullable=False),
    Column(
        "status", TEXT, CheckConstraint("status IN ('SENT')", "notifications_status_check"), nullable=False
    ),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
)
