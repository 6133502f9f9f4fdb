"""Postgres persistence of sagas, their history and the outbox."""
