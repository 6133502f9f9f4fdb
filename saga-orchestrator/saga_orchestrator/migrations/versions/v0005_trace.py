"""The trace a saga was started in (its W3C traceparent), when tracing is on: the commands its
deadlines and retries send later join that trace rather than start one of their own.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None

SQL = ("ALTER TABLE sagas ADD COLUMN traceparent text",)


def upgrade() -> None:
    for sql in SQL:
        op.execute(sql)


def downgrade() -> None:
    op.execute("ALTER TABLE sagas DROP COLUMN traceparent")
