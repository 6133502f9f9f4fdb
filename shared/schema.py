"""The inbox every service keeps, declared once as a SQLAlchemy Core table, and the typed column lists
that statements over a table take from its declaration."""

from sqlalchemy import Column, MetaData, Table, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import JSONB, TEXT, TIMESTAMP, UUID

_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def inbox_table(metadata: MetaData) -> Table:
    """Every command a service has taken, with the reply it gave: a redelivered command gets the same
    reply. `content` is a digest of the command's name and payload, so the same message id with other
    content is refused; rows from before it have none, and are taken as matching."""
    return Table(
        "inbox",
        metadata,
        Column("message_id", UUID, primary_key=True),
        Column("saga_id", UUID, nullable=False),
        Column("command", TEXT, nullable=False),
        Column("reply", JSONB, nullable=False),
        Column("received_at", TIMESTAMP(timezone=True), nullable=False, server_default=func.now()),
        Column("content", TEXT),
    )


# The table the inbox's statements are written against; each service's schema holds a copy.
INBOX = inbox_table(MetaData())


def typed(table: Table, *names: str) -> str:
    """`name type, ...` for the named columns (all of them if none are named), as a record type
    such as jsonb_to_recordset's takes: the column types are the table's own."""
    columns = [table.c[name] for name in names] if names else list(table.c)
    return ", ".join(f"{c.name} {c.type.compile(dialect=_DIALECT).lower()}" for c in columns)


def names(table: Table, *exclude: str) -> list[str]:
    """The table's column names, in declaration order, but those excluded."""
    return [c.name for c in table.c if c.name not in exclude]
