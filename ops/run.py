"""`make run`: starts the orchestrator and every service its workflows name on this machine, follows
their logs and restarts any that exits, until Ctrl-C."""

import argparse
import asyncio
import signal
import sys
import time
from functools import cache
from pathlib import Path

from ops import broker_access, cluster, database_access, registry
from ops.supervisor import Supervisor
from ops.system import ORCHESTRATOR, System, SystemConfig
from saga_orchestrator import settings as orchestrator

# The workers' /metrics: the first on this port, each next one, in the registry's order, on the next.
METRICS_PORT = 9100
SUPERVISOR = "supervisor"


@cache
def _prefix(name: str) -> str:
    """A line's prefix, every process's name padded to the longest, so that the lines align."""
    width = max(map(len, (ORCHESTRATOR, SUPERVISOR, *registry.workers()))) + 1
    return f"{name:<{width}}| "


class LogFollower:
    """Prints every log's lines as they come, prefixed by its service, like `docker compose logs -f`."""

    def __init__(self, paths: list[Path]) -> None:
        self._offsets = dict.fromkeys(paths, 0)

    def print_new(self) -> None:
        for path, offset in self._offsets.items():
            if not path.exists():
                continue
            with path.open("rb") as log:
                log.seek(offset)
                chunk = log.read()
            self._offsets[path] += len(chunk)
            for line in chunk.decode(errors="replace").splitlines():
                sys.stdout.write(f"{_prefix(path.stem)}{line}\n")
        sys.stdout.flush()


def say(line: str) -> None:
    """The launcher's own lines, among the services' in the followed output."""
    sys.stdout.write(f"{_prefix(SUPERVISOR)}{line}\n")
    sys.stdout.flush()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def interruptible() -> None:
    """Explicit, so SIGTERM also stops the services, and SIGINT does even where it was inherited ignored."""
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)


def serve(system: System) -> None:
    """Starts every process, follows their logs and restarts those that exit, until Ctrl-C or
    SIGTERM; then stops them all."""
    interruptible()
    for service in system.config.services:
        system.log_path(service).unlink(missing_ok=True)
    logs = LogFollower([system.log_path(s) for s in system.config.services])
    supervisor = Supervisor(system, say)
    try:
        supervisor.start_all()
        urls = ", ".join(system.url(s) for s in system.config.services if ORCHESTRATOR in s)
        print(f"ready: orchestrator at {urls}; logs in {system.config.log_dir}/", flush=True)
        while True:
            logs.print_new()
            supervisor.check()
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        system.stop_all()
        logs.print_new()  # the last lines, down to each service's "stopping"


def main() -> None:
    interruptible()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orchestrators", type=int, default=1, help="orchestrator replicas")
    parser.add_argument("--cluster", action="store_true", help="on the local cluster of `make cluster-up`")
    args = parser.parse_args()
    # What the orchestrators will read, as they inherit this environment: a bad key stops us here.
    keys = orchestrator.from_environment().keys
    servers = cluster.read_addresses() if args.cluster else cluster.machine_addresses()
    # The broker's vhost, users and queues first: the services may use them, not create them.
    broker = asyncio.run(
        broker_access.set_up_local(registry.services(), amqp_url=servers["amqp_url"], node=servers["node"])
    )
    config = SystemConfig(
        postgres_url=servers["postgres_url"],
        orchestrators=args.orchestrators,
        broker=broker,
        metrics_port=METRICS_PORT,
    )
    try:
        asyncio.run(database_access.set_up(config.postgres_url, config.database_logins()))
    except KeyboardInterrupt:
        return
    if not keys:
        print("authentication is off: no API_KEYS, so the API answers anyone on this machine", flush=True)
    serve(System(config))


if __name__ == "__main__":
    main()
