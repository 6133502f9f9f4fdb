"""RabbitMQ nodes of a local cluster, run with RabbitMQ's own `rabbitmq-server` and `rabbitmqctl`
beside the machine's own node: each with its own name, ports and folder, reached by name only."""

import asyncio
import os
import shutil
import signal
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

# The broker runs as this user, so it must own each node's folder.
BROKER_USER = "rabbitmq"


# A node's inter-node (distribution) port lies this far above its AMQP port.
DIST_PORT_OFFSET = 20000


@dataclass(frozen=True)
class BrokerNode:
    name: str  # the Erlang node's short name; the node is `name@localhost`
    port: int  # AMQP
    folder: Path

    @property
    def node(self) -> str:
        return f"{self.name}@localhost"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.folder / "node.pid"

    def environment(self) -> dict[str, str]:
        """The node's own name, ports and files, so it reads nothing of the machine's node."""
        folder = self.folder.resolve()
        return {
            **os.environ,
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.port + DIST_PORT_OFFSET),
            "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(folder / "log"),
            "RABBITMQ_PID_FILE": str(folder / "node.pid"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq"),  # .conf is appended
        }


async def run(*command: str, env: dict[str, str] | None = None) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {output.decode(errors='replace')}")
    return output.decode(errors="replace")


async def ctl(node: BrokerNode, *arguments: str) -> str:
    return await run("rabbitmqctl", "-q", "-n", node.node, *arguments)


def prepare(node: BrokerNode) -> None:
    """The node's folder, owned by the broker's user, with no plugins and a quiet config."""
    for sub in ("mnesia", "log"):
        (node.folder / sub).mkdir(parents=True, exist_ok=True)
    (node.folder / "enabled_plugins").write_text("[].\n")
    # Our own nodes run on a shared machine: no disk alarm from a few hundred megabytes free.
    (node.folder / "rabbitmq.conf").write_text("disk_free_limit.absolute = 50MB\nloopback_users = none\n")
    for path in (node.folder, *node.folder.rglob("*")):
        shutil.chown(path, BROKER_USER, BROKER_USER)


async def start(node: BrokerNode) -> None:
    """Starts the node (again: a restarted member rejoins its cluster) and waits until it runs."""
    await run("rabbitmq-server", "-detached", env=node.environment())
    await run("rabbitmqctl", "-q", "-n", node.node, "wait", "--timeout", "60", str(node.pid_file.resolve()))
    await ctl(node, "await_startup", "--timeout", "60")


async def join(node: BrokerNode, first: BrokerNode) -> None:
    await ctl(node, "stop_app")
    await ctl(node, "join_cluster", first.node)
    await ctl(node, "start_app")


async def stop(node: BrokerNode) -> None:
    """Stops exactly this node, by its name; one already down is no error."""
    if node.pid_file.exists():
        try:
            await ctl(node, "stop", str(node.pid_file.resolve()))
        except RuntimeError:
            crash(node)


def crash(node: BrokerNode) -> None:
    """kill -9 of the node's own process, as a machine failure would; its PID is in its file."""
    with suppress(FileNotFoundError, ProcessLookupError, ValueError):
        os.kill(int(node.pid_file.read_text().strip()), signal.SIGKILL)
    node.pid_file.unlink(missing_ok=True)


async def running_members(first: BrokerNode) -> list[str]:
    status = await ctl(first, "eval", "rabbit_nodes:list_running().")
    return sorted(name.strip(" '") for name in status.strip().strip("[]").split(",") if name.strip())
