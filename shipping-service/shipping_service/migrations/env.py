"""Alembic's entry for this database: its declared schema, migrated on the setup step's connection."""

from shared.migrations import run_env
from shipping_service.schema import metadata

run_env(metadata)
