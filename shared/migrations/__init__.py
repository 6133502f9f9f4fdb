"""Alembic for every database: each package's `migrations/` folder holds its env and its revisions
(`versions/`), which the setup step (ops/database_access.py) runs on a connection it opened as the
owner, in that connection's transaction."""

from importlib.resources import files

from alembic import context
from alembic.config import Config
from sqlalchemy import Connection, MetaData


def config(package: str, connection: Connection | None = None) -> Config:
    """The package's migrations, to be run on `connection` (no alembic.ini: the setup step gives the URL)."""
    alembic = Config()
    alembic.set_main_option("script_location", str(files(package).joinpath("migrations")))
    alembic.attributes["connection"] = connection
    return alembic


def run_env(metadata: MetaData) -> None:
    """What each package's env.py does: migrates on the connection its caller gave, in its transaction."""
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("migrations run through the setup step: python -m ops.database_access")
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
