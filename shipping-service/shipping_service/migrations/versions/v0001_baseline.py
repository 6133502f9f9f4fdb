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
    "shipping_service/001_shipments.sql",
)

SQL = (
    *inbox.SQL,
    """
-- One shipment per saga. VOIDED is the marker of a cancelShipment that came before the shipment:
-- the late createShipment finds it and ships nothing.
CREATE TABLE shipments (
    saga_id     uuid PRIMARY KEY,
    shipment_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id    text NOT NULL,
    product_id  text NOT NULL,
    quantity    integer NOT NULL CHECK (quantity > 0),
    status      text NOT NULL CHECK (status IN ('CREATED', 'CANCELLED', 'VOIDED')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
)
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
