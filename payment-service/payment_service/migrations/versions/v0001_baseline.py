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
    "payment_service/001_payments.sql",
    "payment_service/002_amount_in_cents.sql",
)

SQL = (
    *inbox.SQL,
    """
-- One payment per saga. VOIDED is the marker of a cancelPayment that came before any charge:
-- the late processPayment finds it and charges nothing.
CREATE TABLE payments (
    saga_id    uuid PRIMARY KEY,
    payment_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id   text NOT NULL,
    amount     numeric NOT NULL CHECK (amount > 0),
    status     text NOT NULL CHECK (status IN ('CHARGED', 'REFUNDED', 'VOIDED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
""",
    """
-- Amounts are exact decimals in cents, up to a billion: the rule the messages carry, so that the
-- table holds nothing else. NOT VALID: rows written before the rule are kept as they are.
ALTER TABLE payments ADD CONSTRAINT payments_amount_in_cents
    CHECK (amount = round(amount, 2) AND amount <= 1000000000) NOT VALID
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
