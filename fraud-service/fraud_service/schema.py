"""The fraud service's database, declared once: its assessments and the inbox. Alembic's revisions in
`migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import CheckConstraint, Column, MetaData, Table, func
from sqlalchemy.dialects.postgresql import NUMERIC, TEXT, TIMESTAMP, UUID

from shared.schema import inbox_table

metadata = MetaData()
inbox = inbox_table(metadata)

# One assessment per saga, kept only when it clears (a refusal stores nothing). VOIDED is the marker
# of a withdrawAssessment that came before the assessment: the late assessFraud finds it and clears
# nothing.
assessments = Table(
    "assessments",
    metadata,
    Column("saga_id", UUID, primary_key=True),
    Column("assessment_id", UUID, nullable=False, unique=True, server_default=func.gen_random_uuid()),
    Column("order_id", TEXT, nullable=False),
    Column("payment_id", TEXT),  # none on a marker whose command did not carry it
    Column(
        "amount",
        NUMERIC,
        # Exact decimals in cents, up to a billion: the rule the messages carry.
        CheckConstraint(
            "amount > 0 AND amount = round(amount, 2) AND amount <= 1000000000", "assessments_amount_check"
        ),
        nullable=False,
    ),
    Column(
        "status",
        TEXT,
        CheckConstraint("status IN ('CLEARED', 'WITHDRAWN', 'VOIDED')", "assessments_status_check"),
        nullable=False,
    ),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
)
