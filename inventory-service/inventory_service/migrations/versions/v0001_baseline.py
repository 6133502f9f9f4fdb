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
    "inventory_service/001_stock.sql",
)

SQL = (
    *inbox.SQL,
    """
-- Stock on hand; the CHECK is the last line against overselling.
CREATE TABLE products (
    product_id text PRIMARY KEY,
    stock      integer NOT NULL CHECK (stock >= 0)
)
""",
    """
-- One reservation per saga. VOIDED is the marker of a releaseStock that came before any
-- reservation; there is no foreign key, since a marker may name a product that does not exist.
CREATE TABLE reservations (
    saga_id    uuid PRIMARY KEY,
    product_id text NOT NULL,
    quantity   integer NOT NULL CHECK (quantity > 0),
    status     text NOT NULL CHECK (status IN ('RESERVED', 'RELEASED', 'VOIDED')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
)
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
