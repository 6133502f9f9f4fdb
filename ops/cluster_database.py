"""A local Postgres primary with a synchronous streaming standby, built with the server's own
binaries (`initdb`, `pg_basebackup`, `pg_ctl`) on their own ports and folders, run as `postgres`."""

import os
import shutil
import signal
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from ops.cluster_broker import run

SERVER_USER = "postgres"  # initdb refuses root
STANDBY_NAME = "s1"
BINARIES = Path("/usr/lib/postgresql")

# Every commit the system is told of is flushed on the standby too: RPO 0 if the primary dies.
PRIMARY_SETTINGS = {
    "synchronous_standby_names": f"'FIRST 1 ({STANDBY_NAME})'",
    "synchronous_commit": "on",
    "max_connections": "200",
}
# A promoted standby has no standby of its own: it must not wait for one, or no commit would end.
STANDBY_SETTINGS = {"synchronous_standby_names": "''"}


@dataclass(frozen=True)
class DatabaseNode:
    port: int
    folder: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def binary(name: str) -> str:
    newest = max(BINARIES.iterdir(), key=lambda path: int(path.name))
    return str(newest / "bin" / name)


async def as_server_user(*command: str) -> str:
    return await run("runuser", "-u", SERVER_USER, "--", *command)


def _owned_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.chown(folder, SERVER_USER, SERVER_USER)
    folder.chmod(0o700)


def _configure(node: DatabaseNode, settings: dict[str, str]) -> None:
    lines = [
        f"port = {node.port}",
        "listen_addresses = '127.0.0.1'",
        f"unix_socket_directories = '{node.folder.resolve()}'",
        *(f"{name} = {value}" for name, value in settings.items()),
    ]
    with (node.folder / "data" / "postgresql.auto.conf").open("a") as conf:
        conf.write("\n".join(lines) + "\n")


async def create_primary(node: DatabaseNode) -> None:
    _owned_folder(node.folder)
    data = str((node.folder / "data").resolve())
    await as_server_user(binary("initdb"), "-D", data, "-A", "trust", "-U", SERVER_USER)
    _configure(node, PRIMARY_SETTINGS)
    await start(node)


async def create_standby(node: DatabaseNode, primary: DatabaseNode) -> None:
    """A copy of the primary that streams from it under the name the primary waits for."""
    _owned_folder(node.folder)
    data = str((node.folder / "data").resolve())
    source = ("-h", "127.0.0.1", "-p", str(primary.port), "-U", SERVER_USER)
    await as_server_user(binary("pg_basebackup"), *source, "-D", data, "-R", "-X", "stream")
    conninfo = f"host=127.0.0.1 port={primary.port} user={SERVER_USER} application_name={STANDBY_NAME}"
    _configure(node, {**STANDBY_SETTINGS, "primary_conninfo": f"'{conninfo}'"})
    await start(node)


async def start(node: DatabaseNode) -> None:
    data = str((node.folder / "data").resolve())
    log = str((node.folder / "server.log").resolve())
    await as_server_user(binary("pg_ctl"), "-D", data, "-l", log, "-w", "start")


async def promote(node: DatabaseNode) -> None:
    await as_server_user(binary("pg_ctl"), "-D", str((node.folder / "data").resolve()), "-w", "promote")


async def stop(node: DatabaseNode) -> None:
    """Stops exactly this server, through its folder; one already down is no error."""
    if (node.folder / "data" / "postmaster.pid").exists():
        data = str((node.folder / "data").resolve())
        try:
            await as_server_user(binary("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop")
        except RuntimeError:
            crash(node)


def crash(node: DatabaseNode) -> None:
    """kill -9 of the server's postmaster, whose PID heads its postmaster.pid."""
    with suppress(FileNotFoundError, ProcessLookupError, ValueError, IndexError):
        os.kill(int((node.folder / "data" / "postmaster.pid").read_text().split()[0]), signal.SIGKILL)
