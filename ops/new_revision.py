"""A database's next Alembic revision, drafted from what its declared tables have and its revisions do
not build yet: `python -m ops.new_revision <package> "<what changes>"` writes it into the package's
`migrations/versions/`, to be read, adjusted and formatted (`make format`) before it is committed.
The difference is taken on a scratch database of the owner's (`POSTGRES_URL`), migrated to the
newest revision and dropped after."""

import argparse
import asyncio
import importlib
import os
import re
import secrets
from pathlib import Path

import asyncpg
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from ops.migrations import migrate
from shared.database import with_database
from shared.migrations import config

TEMPLATE = '''"""{message}

Revision ID: {revision}
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "{revision}"
down_revision: str | None = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


async def draft(
    owner_url: str, package: str, declared: MetaData, message: str, prefix: str = ""
) -> str | None:
    """The text of the revision after the package's newest one that makes its database `declared`
    (None if it is already); the scratch database's name starts with `prefix`."""
    scratch = f"{prefix}{package}_draft_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(owner_url)
    try:
        await admin.execute(f'CREATE DATABASE "{scratch}"')
        url = with_database(owner_url, scratch)
        await migrate(url, package)
        engine = create_async_engine(make_url(url).set(drivername="postgresql+asyncpg"), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                rendered = await connection.run_sync(_render, declared)
        finally:
            await engine.dispose()
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        await admin.close()
    if rendered is None:
        return None
    upgrade, downgrade = rendered
    head = _scripts(package).get_current_head()
    assert head is not None
    return TEMPLATE.format(
        message=message,
        revision=f"{int(head) + 1:04d}",
        down_revision=head,
        upgrade=upgrade,
        downgrade=downgrade,
    )


def _render(connection: Connection, declared: MetaData) -> tuple[str, str] | None:
    options = {"compare_type": True, "compare_server_default": True}
    context = MigrationContext.configure(connection, opts={**options, "target_metadata": declared})
    script = produce_migrations(context, declared)
    upgrade, downgrade = script.upgrade_ops, script.downgrade_ops
    if upgrade is None or downgrade is None or upgrade.is_empty():
        return None
    # `make format` drops the imports a revision does not use.
    return _body(render_python_code(upgrade)), _body(render_python_code(downgrade))


def _body(code: str) -> str:
    """The rendered operations without Alembic's own comments; `pass` if there are none."""
    lines = [line for line in code.splitlines() if line.strip() and not line.lstrip().startswith("# ###")]
    return "\n".join(lines) or "    pass"


def _scripts(package: str) -> ScriptDirectory:
    return ScriptDirectory.from_config(config(package))


def write(package: str, text: str, message: str) -> Path:
    revision = re.search(r'^revision = "(\d+)"', text, re.M)
    assert revision is not None
    slug = re.sub(r"\W+", "_", message.lower()).strip("_")[:40]
    path = Path(_scripts(package).versions) / f"v{revision[1]}_{slug}.py"
    path.write_text(text)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("package", help="the database's package, as in order_service")
    parser.add_argument("message", help="what the revision changes, in a sentence")
    args = parser.parse_args()
    owner_url = os.environ.get("POSTGRES_URL", "postgresql://root@127.0.0.1:5432/postgres")
    declared = importlib.import_module(f"{args.package}.schema").metadata
    text = asyncio.run(draft(owner_url, args.package, declared, args.message))
    if text is None:
        raise SystemExit(f"{args.package}: its revisions already build what its tables declare")
    print(write(args.package, text, args.message))


if __name__ == "__main__":
    main()
