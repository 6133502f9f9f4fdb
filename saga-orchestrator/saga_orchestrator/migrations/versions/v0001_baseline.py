"""Baseline: the schema as the SQL scripts before Alembic left it, their statements kept as they
were, so that a database they built (which the setup step stamps at this revision) and one built
here are the same.

Revision ID: 0001
"""

from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

# The scripts this revision stands for, as the runner before Alembic recorded them.
LEGACY_SCRIPTS = (
    "saga_orchestrator/001_sagas.sql",
    "saga_orchestrator/002_owners.sql",
)

SQL = (
    """
-- The sagas, their history, and the commands waiting to be published (the transactional outbox).
CREATE TABLE sagas (
    saga_id     uuid PRIMARY KEY,
    workflow    text NOT NULL,
    saga_key    text NOT NULL UNIQUE,
    input       jsonb NOT NULL,
    status      text NOT NULL,
    phase       text NOT NULL,
    progress    text NOT NULL,
    step        int NOT NULL,
    attempt     int NOT NULL,
    awaiting    text NOT NULL,
    wake_at     timestamptz,
    outcome     text,
    failed_step text,
    error       text,
    last_error  text,
    version     int NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    finished_at timestamptz
)
""",
    """
CREATE INDEX sagas_wake_at ON sagas (wake_at) WHERE wake_at IS NOT NULL
""",
    """
CREATE INDEX sagas_created_at ON sagas (created_at DESC)
""",
    """
CREATE INDEX sagas_status_created_at ON sagas (status, created_at DESC)
""",
    """
CREATE TABLE saga_events (
    saga_id  uuid NOT NULL REFERENCES sagas,
    seq      int NOT NULL,
    at       timestamptz NOT NULL,
    type     text NOT NULL,
    state    text,
    step     text,
    service  text,
    command  text,
    attempt  int,
    success  boolean,
    result   jsonb,
    error    text,
    PRIMARY KEY (saga_id, seq)
)
""",
    """
CREATE TABLE outbox (
    id         bigserial PRIMARY KEY,
    queue      text NOT NULL,
    message_id uuid NOT NULL,
    body       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
""",
    """
-- Who started each saga, which alone of the clients may see and cancel it (NULL: started before
-- API keys, seen by operators only); and who asked for a cancel or a retry, in the history.
ALTER TABLE sagas ADD COLUMN owner text
""",
    """
ALTER TABLE saga_events ADD COLUMN actor text
""",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone")
