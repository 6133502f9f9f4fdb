"""This database's Alembic revisions (`versions/`), run by the setup step: python -m ops.database_access."""
