"""One row per step execution replaces the saga's single cursor (step, attempt, awaiting, wake_at,
last_error): each execution, forward or compensating, has its own attempts, deadline, timestamps and
result, so that several steps of a saga may run at once. The sagas still open carry their cursor
into the row of the step they were at, so they finish after the upgrade.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None

SQL = (
    """
CREATE TABLE saga_steps (
    saga_id     uuid NOT NULL REFERENCES sagas (saga_id),
    step        int NOT NULL,
    kind        text NOT NULL,
    attempt     int NOT NULL,
    status      text NOT NULL,
    deadline    timestamptz,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz,
    result      jsonb,
    error       text,
    PRIMARY KEY (saga_id, step, kind)
)
""",
    "CREATE INDEX saga_steps_deadline ON saga_steps (deadline) WHERE deadline IS NOT NULL",
    # A finished saga's cursor pointed at no step still open: only the others carry theirs.
    """
INSERT INTO saga_steps (saga_id, step, kind, attempt, status, deadline, started_at, error)
SELECT saga_id, step,
       CASE phase WHEN 'FORWARD' THEN 'FORWARD' ELSE 'COMPENSATION' END,
       attempt,
       CASE WHEN phase = 'PARKED' THEN 'PARKED' WHEN awaiting = 'RETRY' THEN 'RETRYING' ELSE 'RUNNING' END,
       CASE WHEN phase = 'PARKED' THEN NULL ELSE wake_at END,
       updated_at, last_error
FROM sagas WHERE phase <> 'DONE'
""",
    "DROP INDEX sagas_wake_at",
    "ALTER TABLE sagas DROP COLUMN step, DROP COLUMN attempt, DROP COLUMN awaiting,"
    " DROP COLUMN wake_at, DROP COLUMN last_error",
)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    op.execute(
        "ALTER TABLE sagas ADD COLUMN step int NOT NULL DEFAULT 0, ADD COLUMN attempt int NOT NULL DEFAULT 0,"
        " ADD COLUMN awaiting text NOT NULL DEFAULT 'NOTHING', ADD COLUMN wake_at timestamptz,"
        " ADD COLUMN last_error text"
    )
    # Back to one cursor: the newest open step of each saga.
    op.execute("""
UPDATE sagas SET step = s.step, attempt = s.attempt, wake_at = s.deadline, last_error = s.error,
    awaiting = CASE s.status WHEN 'RUNNING' THEN 'REPLY' WHEN 'RETRYING' THEN 'RETRY' ELSE 'NOTHING' END
FROM (SELECT DISTINCT ON (saga_id) * FROM saga_steps WHERE finished_at IS NULL
      ORDER BY saga_id, started_at DESC) AS s
WHERE sagas.saga_id = s.saga_id
""")
    for column in ("step", "attempt", "awaiting"):
        op.execute(f"ALTER TABLE sagas ALTER COLUMN {column} DROP DEFAULT")
    op.execute("CREATE INDEX sagas_wake_at ON sagas (wake_at) WHERE wake_at IS NOT NULL")
    op.execute("DROP TABLE saga_steps")
