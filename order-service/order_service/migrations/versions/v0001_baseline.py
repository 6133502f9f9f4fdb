"""Baseline: the schema as the SQL scripts before Alembic left it, their statements kept as they
were, so that a database they built (which the setup step stamps at this revision) and one built
here are the same.

Revision ID: 0001
"""

from alembic import op

from shared.migrations import baseline as inbox

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# The scripts this revision stands for, as the runner before Alembic recorded them.
LEGACY_SCRIPTS = (
    *inbox.LEGACY_SCRIPTS,
    "order_service/001_orders.sql",
    "order_service/002_amount_in_cents.sql",
)

SQL = (
    *inbox.SQL,
    """
-- One order per saga. A CANCELLED row that was never CREATED is the marker a compensation leaves
-- when it arrives first, so that the late createOrder finds it and does nothing.
CREATE TABLE orders (
    order_id   text PRIMARY KEY,
    saga_id    uuid NOT NULL UNIQUE,
    product_id text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    amount     numeric NOT NULL CHECK (amount > 0),
    status     text NOT NULL CHECK (status IN ('CREATED', 'CANCELLED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
""",
    """
-- Amounts are exact decimals in cents, up to a billion: the rule the messages carry, so that the
-- table holds nothing else. NOT VALID: rows written before the rule are kept as they are.
ALTER TABLE orders ADD CONSTRAINT orders_amount_in_cents
    CHECK (amount = round(amount, 2) AND amount <= 1000000000) NOT VALID
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
