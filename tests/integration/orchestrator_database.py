"""The orchestrator's database for a test of its own: set up as the setup step does, reached as the
runtime role, as the orchestrator reaches it, and removed afterwards however the test ends."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from ops import database_access
from ops.database_access import Login
from shared import database


@asynccontextmanager
async def orchestrator_database(owner_url: str, name: str, pool_size: int) -> AsyncIterator[asyncpg.Pool]:
    login = Login("saga_orchestrator", name, secrets.token_urlsafe(16))
    try:
        await database_access.set_up(owner_url, [login])
        pool = await database.open_pool(
            database_access.login_url(owner_url, login.role, login.password), pool_size
        )
        try:
            yield pool
        finally:
            await pool.close()
    finally:
        await database_access.tear_down(owner_url, [login.role])
