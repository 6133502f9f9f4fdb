"""The databases' setup step: each process's database and login role, its migrations, and grants that
let the role change rows and nothing more. An owner runs it before the services start (a role that
may create databases and roles), so no process needs those rights at runtime.

`python -m ops.database_access` runs it from the environment: `POSTGRES_URL` names the owner, and
each process's password comes from `<PACKAGE>_DB_PASSWORD` (as in `ORDER_SERVICE_DB_PASSWORD`).
"""

import asyncio
import logging
import os
import secrets
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

from ops import registry
from ops.migrations import VERSION_TABLE, migrate
from shared import logs
from shared.database import connect_when_up, with_database

log = logging.getLogger(__name__)


# A runtime role logs in and nothing more; said in full, so a role made by hand is set straight.
ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"

# What a runtime role may do in its own database: change rows and take sequence numbers. LISTEN and
# NOTIFY need no grant.
GRANTS = (
    "REVOKE ALL ON SCHEMA public FROM PUBLIC",
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}",
)
# The migrations' own bookkeeping is the owner's.
KEEP_BOOKKEEPING = f"REVOKE ALL ON {VERSION_TABLE} FROM {{role}}"


@dataclass(frozen=True)
class Login:
    """A process's runtime role, which has the name of the database it alone may use."""

    package: str
    role: str
    password: str


def password_variable(package: str) -> str:
    return f"{package.upper()}_DB_PASSWORD"


def passwords(path: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Each package's password: from the environment, else from the file, written on first use.

    The file has the environment's form (`ORDER_SERVICE_DB_PASSWORD=...`), so it can serve as one.
    """
    packages = registry.packages()
    if not all(password_variable(p) in environ for p in packages) and not path.exists():
        _write(path, _generated(packages))
    stored = _stored(path)
    if missing := [p for p in packages if password_variable(p) not in {**stored, **environ}]:
        # A service added since the file was written: its password joins the others'.
        known = "".join(f"{name}={value}\n" for name, value in stored.items())
        _write(path, known + _generated(missing), replace=True)
        stored = _stored(path)
    return {p: environ.get(password_variable(p)) or stored[password_variable(p)] for p in packages}


def _generated(packages: Iterable[str]) -> str:
    return "".join(f"{password_variable(p)}={secrets.token_urlsafe(24)}\n" for p in packages)


def _stored(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines()) if path.exists() else {}


def _write(path: Path, text: str, replace: bool = False) -> None:
    """Writes the file unless it exists (of several writers at once, the first one's text stays),
    or, to `replace` it, in its place; no reader ever sees a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    draft.touch(mode=0o600, exist_ok=False)  # only its owner reads it, from the start
    draft.write_text(text)
    if replace:
        draft.replace(path)
        return
    try:
        with suppress(FileExistsError):
            path.hardlink_to(draft)
    finally:
        draft.unlink()


def login_url(owner_url: str, role: str, password: str) -> str:
    """The owner's server and options, but the role's name and password, and its own database."""
    parts = urlsplit(owner_url)
    server = parts.netloc.rpartition("@")[2]
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{server}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{role}"))


async def set_up(owner_url: str, logins: list[Login]) -> None:
    """Creates each login's role and database, migrates it and grants the role its rows; safe to repeat."""
    await create_logins(owner_url, logins)
    for login in logins:
        await migrate(with_database(owner_url, login.role), login.package)
        await grant(owner_url, login.role, (*GRANTS, KEEP_BOOKKEEPING))
        log.info("database %s set up for its role", login.role)


async def create_logins(owner_url: str, logins: list[Login]) -> None:
    """Each login's role, with its password, and its database, which only it may connect to."""
    owner = await connect_when_up(with_database(owner_url, "postgres"))
    try:
        for login in logins:
            await _create_role(owner, login)
            await _create_database(owner, login.role)
    finally:
        await owner.close()


async def grant(owner_url: str, role: str, grants: tuple[str, ...]) -> None:
    """Runs the statements in the role's database, with `{role}` its quoted name."""
    database = await connect_when_up(with_database(owner_url, role))
    try:
        for sql in grants:
            await database.execute(await _format(database, sql, role=role))
    finally:
        await database.close()


async def tear_down(owner_url: str, names: list[str]) -> None:
    """Drops each named database and the role of the same name."""
    owner = await asyncpg.connect(with_database(owner_url, "postgres"))
    try:
        for name in names:
            await owner.execute(await _format(owner, "DROP DATABASE IF EXISTS {db} WITH (FORCE)", db=name))
            await owner.execute(await _format(owner, "DROP ROLE IF EXISTS {role}", role=name))
    finally:
        await owner.close()


async def _create_role(owner: asyncpg.Connection, login: Login) -> None:
    if not await owner.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", login.role):
        with suppress(asyncpg.DuplicateObjectError, asyncpg.UniqueViolationError):
            await owner.execute(await _format(owner, "CREATE ROLE {role}", role=login.role))
    alter = f"ALTER ROLE {{role}} {ROLE_ATTRIBUTES} PASSWORD {{password}}"
    await owner.execute(await _format(owner, alter, role=login.role, password=login.password))


async def _create_database(owner: asyncpg.Connection, name: str) -> None:
    if not await owner.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
        # Racing creators may see either error.
        with suppress(asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            await owner.execute(await _format(owner, "CREATE DATABASE {db}", db=name))
    # CONNECT and TEMPORARY belong to PUBLIC by default: every role could open every database.
    for sql in ("REVOKE ALL ON DATABASE {db} FROM PUBLIC", "GRANT CONNECT ON DATABASE {db} TO {role}"):
        await owner.execute(await _format(owner, sql, db=name, role=name))


async def _format(conn: asyncpg.Connection, sql: str, **values: str) -> str:
    """The statement with each name quoted as an identifier, and a password as a literal, by the
    server itself: these statements take no parameters."""
    quoted = await conn.fetchrow(
        "SELECT quote_ident($1) AS db, quote_ident($2) AS role, quote_literal($3) AS password",
        values.get("db", ""),
        values.get("role", ""),
        values.get("password", ""),
    )
    assert quoted is not None
    return sql.format(**dict(quoted))


def main() -> None:
    logs.configure("ops.database_access", "INFO")
    owner_url = os.environ["POSTGRES_URL"]
    logins = [Login(p, p, os.environ[password_variable(p)]) for p in registry.packages()]
    asyncio.run(set_up(owner_url, logins))


if __name__ == "__main__":
    main()
