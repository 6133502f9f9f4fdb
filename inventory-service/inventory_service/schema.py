"""The inventory service's database, declared once: stock, reservations and the inbox. Alembic's
revisions in `migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import CheckConstraint, Column, MetaData, Table, func
from sqlalchemy.dialects.postgresql import INTEGER, TEXT, TIMESTAMP, UUID

from shared.schema import inbox_table

metadata = MetaData()
inbox = inbox_table(metadata)

# Stock on hand; the CHECK is the last line against overselling.
products = Table(
    "products",
    metadata,
    Column("product_id", TEXT, primary_key=True),
    Column("stock", INTEGER, CheckConstraint("stock >= 0", "products_stock_check"), nullable=False),
)

# One reservation per saga. VOIDED is the marker of a releaseStock that came before any
# reservation; there is no foreign key, since a marker may name a product that does not exist.
reservations = Table(
    "reservations",
    metadata,
    Column("saga_id", UUID, primary_key=True),
    Column("product_id", TEXT, nullable=False),
    Column(
        "quantity", INTEGER, CheckConstraint("quantity > 0", "reservations_quantity_check"), nullable=False
    ),
    Column(
        "status",
        TEXT,
        CheckConstraint("status IN ('RESERVED', 'RELEASED', 'VOIDED')", "reservations_status_check"),
        nullable=False,
    ),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
)
