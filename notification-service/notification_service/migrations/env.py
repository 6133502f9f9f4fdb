"""Alembic's entry for this database: its declared schema, migrated on the setup step's connection."""

from notification_service.schema import metadata
from shared.migrations import run_env

run_env(metadata)
