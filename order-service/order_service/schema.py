"""The order service's database, declared once: its orders and the inbox. Alembic's revisions in
`migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import CheckConstraint, Column, MetaData, Table, func
from sqlalchemy.dialects.postgresql import INTEGER, NUMERIC, TEXT, TIMESTAMP, UUID

from shared.schema import inbox_table

metadata = MetaData()
inbox = inbox_table(metadata)

# One order per saga. A CANCELLED row that was never CREATED is the marker a compensation leaves
# when it arrives first, so that the late createOrder finds it and does nothing.
orders = Table(
    "orders",
    metadata,
    Column("order_id", TEXT, primary_key=True),
    Column("saga_id", UUID, nullable=False, unique=True),
    Column("product_id", TEXT, nullable=False),
    Column("quantity", INTEGER, CheckConstraint("quantity > 0", "orders_quantity_check"), nullable=False),
    Column("amount", NUMERIC, CheckConstraint("amount > 0", "orders_amount_check"), nullable=False),
    Column(
        "status",
        TEXT,
        CheckConstraint("status IN ('CREATED', 'CANCELLED')", "orders_status_check"),
        nullable=False,
    ),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    # Amounts are exact decimals in cents, up to a billion: the rule the messages carry. Not
    # validated on rows written before the rule.
    CheckConstraint(
        "amount = round(amount, 2) AND amount <= 1000000000",
        "orders_amount_in_cents",
        postgresql_not_valid=True,
    ),
)
