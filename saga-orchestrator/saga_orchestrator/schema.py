"""The orchestrator's database, declared once: the sagas, their steps' executions, their history, and
the commands waiting to be published (the transactional outbox). Alembic's revisions in
`migrations/` build it; a test checks that they agree with this declaration."""

from sqlalchemy import BigInteger, Column, ForeignKey, Index, MetaData, Table, UniqueConstraint, func, text
from sqlalchemy.dialects.postgresql import BOOLEAN, BYTEA, INTEGER, JSONB, TEXT, TIMESTAMP, UUID

metadata = MetaData()

sagas = Table(
    "sagas",
    metadata,
    Column("saga_id", UUID, primary_key=True),
    Column("workflow", TEXT, nullable=False),
    # The workflow version the saga started on and runs on to its end (the sagas from before
    # versions ran on 1).
    Column("workflow_version", INTEGER, nullable=False, server_default=text("1")),
    Column("saga_key", TEXT, nullable=False),
    Column("input", JSONB, nullable=False),
    Column("status", TEXT, nullable=False),
    Column("phase", TEXT, nullable=False),
    Column("progress", TEXT, nullable=False),
    Column("outcome", TEXT),
    Column("failed_step", TEXT),
    Column("error", TEXT),
    Column("version", INTEGER, nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False),
    Column("updated_at", TIMESTAMP(timezone=True), nullable=False),
    Column("finished_at", TIMESTAMP(timezone=True)),
    # Who started the saga, which alone of the clients may see and cancel it (NULL: started before
    # API keys, seen by operators only).
    Column("owner", TEXT),
    # The trace the saga was started in (its W3C traceparent), which the commands its deadlines and
    # retries send later join; NULL when tracing was off.
    Column("traceparent", TEXT),
    # A key names a saga within its workflow: another workflow may use the same key.
    UniqueConstraint("workflow", "saga_key", name="sagas_workflow_saga_key_key"),
)
Index("sagas_created_at", sagas.c.created_at.desc())
Index("sagas_status_created_at", sagas.c.status, sagas.c.created_at.desc())
# The saga list's filters: one workflow's sagas, and those stuck in a running phase.
Index("sagas_workflow_created_at", sagas.c.workflow, sagas.c.created_at.desc())
Index(
    "sagas_running_updated_at",
    sagas.c.updated_at,
    postgresql_where=sagas.c.phase.in_(["FORWARD", "COMPENSATING"]),
)
# The dashboard's filters: by phase, by a key's prefix, and the recently finished for the overview.
Index("sagas_phase_created_at", sagas.c.phase, sagas.c.created_at.desc())
Index("sagas_saga_key_prefix", sagas.c.saga_key, postgresql_ops={"saga_key": "text_pattern_ops"})
Index("sagas_finished_at", sagas.c.finished_at, postgresql_where=sagas.c.finished_at.is_not(None))

# One row per execution of a step, forward or compensating, each with its own attempts and deadline,
# so that several steps of a saga may run at once; written with the saga's row, in its statement.
saga_steps = Table(
    "saga_steps",
    metadata,
    Column("saga_id", UUID, ForeignKey(sagas.c.saga_id), primary_key=True),
    Column("step", INTEGER, primary_key=True),  # its place in the saga's workflow version
    Column("kind", TEXT, primary_key=True),  # FORWARD or COMPENSATION
    Column("attempt", INTEGER, nullable=False),
    Column("status", TEXT, nullable=False),
    Column("deadline", TIMESTAMP(timezone=True)),  # of the reply, or when to send again
    Column("started_at", TIMESTAMP(timezone=True), nullable=False),
    Column("finished_at", TIMESTAMP(timezone=True)),
    Column("result", JSONB),
    Column("error", TEXT),
)
# The deadline scan's; a step holds a deadline only while it waits for a reply or a retry.
Index("saga_steps_deadline", saga_steps.c.deadline, postgresql_where=saga_steps.c.deadline.is_not(None))

saga_events = Table(
    "saga_events",
    metadata,
    Column("saga_id", UUID, ForeignKey(sagas.c.saga_id), primary_key=True),
    Column("seq", INTEGER, primary_key=True),
    Column("at", TIMESTAMP(timezone=True), nullable=False),
    Column("type", TEXT, nullable=False),
    Column("state", TEXT),
    Column("step", TEXT),
    Column("service", TEXT),
    Column("command", TEXT),
    Column("attempt", INTEGER),
    Column("success", BOOLEAN),
    Column("result", JSONB),
    Column("error", TEXT),
    Column("actor", TEXT),  # who asked for a cancel or a retry
    Column(
        "replica", TEXT
    ),  # the orchestrator replica that wrote it (NULL: written before replicas were named)
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("queue", TEXT, nullable=False),
    Column("message_id", UUID, nullable=False),
    Column("body", JSONB, nullable=False),
    Column("created_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
)

# Each workflow version's definition, stored once under its content hash, so that sagas on a version
# no longer deployed can still be finished.
workflow_definitions = Table(
    "workflow_definitions",
    metadata,
    Column("digest", TEXT, primary_key=True),
    Column("workflow", TEXT, nullable=False),
    Column("version", INTEGER, nullable=False),
    Column("definition", JSONB, nullable=False),
    Column("stored_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("workflow", "version"),
)

# Every dead-lettered message, kept where an operator can find, redrive or discard it; `letter_key`
# is a digest of the message as the broker holds it, so a redelivery is stored once.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("letter_key", TEXT, nullable=False, unique=True),
    Column("reason", TEXT, nullable=False),
    Column("source_queue", TEXT, nullable=False),
    Column("message_id", TEXT),
    Column("headers", JSONB, nullable=False),
    Column("payload", BYTEA, nullable=False),
    Column("state", TEXT, nullable=False, server_default=text("'OPEN'")),
    Column("dead_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
)

# Who redrove or discarded a dead letter, and when.
dead_letter_actions = Table(
    "dead_letter_actions",
    metadata,
    Column("dead_letter_id", BigInteger, ForeignKey(dead_letters.c.id), nullable=False),
    Column("at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
    Column("action", TEXT, nullable=False),
    Column("actor", TEXT, nullable=False),
)
Index("dead_letter_actions_letter", dead_letter_actions.c.dead_letter_id, dead_letter_actions.c.at)
