"""The payment service's database, declared once: its payments and the inbox. Alembic's revisions in
`migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import CheckConstraint, Column, MetaData, Table, func
from sqlalchemy.dialects.postgresql import NUMERIC, TEXT, TIMESTAMP, UUID

from shared.schema import inbox_table

metadata = MetaData()
inbox = inbox_table(metadata)

# One payment per saga. VOIDED is the marker of a cancelPayment that came before any charge: the
# late processPayment finds it and charges nothing.
payments = Table(
    "payments",
    metadata,
    Column("saga_id", UUID, primary_key=True),
    Column("payment_id", UUID, nullable=False, unique=True, server_default=func.gen_random_uuid()),
    Column("order_id", TEXT, nullable=False),
    Column("amount", NUMERIC, CheckConstraint("amount > 0", "payments_amount_check"), nullable=False),
    Column(
        "status",
        TEXT,
        CheckConstraint("status IN ('CHARGED', 'REFUNDED', 'VOIDED')", "payments_status_check"),
        nullable=False,
    ),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    # Amounts are exact decimals in cents, up to a billion: the rule the messages carry. Not
    # validated on rows written before the rule.
    CheckConstraint(
        "amount = round(amount, 2) AND amount <= 1000000000",
        "payments_amount_in_cents",
        postgresql_not_valid=True,
    ),
)
