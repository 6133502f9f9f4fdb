"""The shipping service's database, declared once: its shipments and the inbox. Alembic's revisions
in `migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import CheckConstraint, Column, MetaData, Table, func
from sqlalchemy.dialects.postgresql import INTEGER, TEXT, TIMESTAMP, UUID

from shared.schema import inbox_table

metadata = MetaData()
inbox = inbox_table(metadata)

# One shipment per saga. VOIDED is the marker of a cancelShipment that came before the shipment:
# the late createShipment finds it and ships nothing.
shipments = Table(
    "shipments",
    metadata,
    Column("saga_id", UUID, primary_key=True),
    Column("shipment_id", UUID, nullable=False, unique=True, server_default=func.gen_random_uuid()),
    Column("order_id", TEXT, nullable=False),
    Column("product_id", TEXT, nullable=False),
    Column("quantity", INTEGER, CheckConstraint("quantity > 0", "shipments_quantity_check"), nullable=False),
    Column(
        "status",
        TEXT,
        CheckConstraint("status IN ('CREATED', 'CANCELLED', 'VOIDED')", "shipments_status_check"),
        nullable=False,
    ),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    # The payment it goes out against, where the workflow carries it (the express order does).
    Column("payment_id", TEXT),
)
