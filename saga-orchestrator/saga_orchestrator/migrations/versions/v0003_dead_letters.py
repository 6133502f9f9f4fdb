"""Dead letters: every dead-lettered message, kept where an operator can find, redrive or discard
it, and who did so.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

SQL = (
    # `letter_key` is a digest of the message as the broker holds it, so a redelivery is stored once.
    """
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    letter_key   text NOT NULL UNIQUE,
    reason       text NOT NULL,
    source_queue text NOT NULL,
    message_id   text,
    headers      jsonb NOT NULL,
    payload      bytea NOT NULL,
    state        text NOT NULL DEFAULT 'OPEN',
    dead_at      timestamptz NOT NULL DEFAULT now()
)
""",
    # A letter that dead-letters again after a redrive is open once more, and keeps this record.
    """
CREATE TABLE dead_letter_actions (
    dead_letter_id bigint NOT NULL REFERENCES dead_letters,
    at             timestamptz NOT NULL DEFAULT now(),
    action         text NOT NULL,
    actor          text NOT NULL
)
""",
    "CREATE INDEX dead_letter_actions_letter ON dead_letter_actions (dead_letter_id, at)",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    op.execute("DROP TABLE dead_letter_actions")
    op.execute("DROP TABLE dead_letters")
