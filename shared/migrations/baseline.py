"""The inbox as every service's baseline revision makes it: the statements of the scripts before
Alembic, their text kept as it was, so that a database they built and one this revision builds are
the same. Never edit it: a change to the inbox is a new revision in each service's `migrations/`."""

# The scripts, as the runner before Alembic recorded them in `schema_migrations`.
LEGACY_SCRIPTS = ("shared/001_inbox.sql", "shared/002_inbox_content.sql")

SQL = (
    """
-- Every command a service has taken, with the reply it gave: a redelivered command gets the same reply.
CREATE TABLE inbox (
    message_id  uuid PRIMARY KEY,
    saga_id     uuid NOT NULL,
    command     text NOT NULL,
    reply       jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
)
""",
    """
-- A digest of each command's name and payload: the same message id with other content is refused.
-- Rows from before have none, and are taken as matching.
ALTER TABLE inbox ADD COLUMN content text
""",
)
