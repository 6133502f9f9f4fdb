"""Baseline: the inbox every service keeps, and the assessments.

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
-- One assessment per saga, kept only when it clears. VOIDED is the marker of a withdrawAssessment
-- that came before the assessment: the late assessFraud finds it and clears nothing.
CREATE TABLE assessments (
    saga_id       uuid PRIMARY KEY,
    assessment_id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    order_id      text NOT NULL,
    payment_id    text,
    amount        numeric NOT NULL CONSTRAINT assessments_amount_check
                  CHECK (amount > 0 AND amount = round(amount, 2) AND amount <= 1000000000),
    status        text NOT NULL CHECK (status IN ('CLEARED', 'WITHDRAWN', 'VOIDED')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
)
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
