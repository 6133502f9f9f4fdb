"""The system's processes, the orchestrator and every service of the registry, as local processes:
started as `python -m <package>`, killed and restarted by PID."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ops import database_access, registry
from ops.broker_access import CORRELATION_VARIABLE, BrokerAccess
from shared import access

# A worker's "ready" line, in the human format or as the message of a JSON line (LOG_FORMAT=json).
READY = re.compile(rb'[ "]ready: ')
ORCHESTRATOR = registry.ORCHESTRATOR
# The number an orchestrator replica's process name ends with, from the second replica on.
REPLICA_NUMBER = re.compile(r"-(\d+)$")


def replica(index: int) -> str:
    """The process name of the orchestrator replica `index` (from 0): its log, reply queue and REPLICA."""
    return ORCHESTRATOR if index == 0 else f"{ORCHESTRATOR}-{index + 1}"


def replica_index(process: str) -> int:
    number = REPLICA_NUMBER.search(process)
    return int(number[1]) - 1 if number else 0


def service_of(process: str) -> str:
    """The service a process runs: a replica's name without its number."""
    return REPLICA_NUMBER.sub("", process)


def package_of(service: str) -> str:
    return service_of(service).replace("-", "_")


def queue_prefix(namespace: str) -> str:
    """Prefixes every queue name, so that a namespaced system keeps to its own queues."""
    return f"{namespace}." if namespace else ""


def role_of(service: str) -> str:
    """The broker user a process logs in as: every orchestrator replica shares one."""
    return access.ORCHESTRATOR if service.startswith(ORCHESTRATOR) else service.removesuffix("-service")


def free_ports(count: int = 1) -> int:
    """The first of `count` consecutive ports free now: an `http_port` for that many orchestrators."""
    for _ in range(100):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            first: int = sock.getsockname()[1]
        if first + count <= 65536 and all(_free(port) for port in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class SystemConfig:
    postgres_url: str = "postgresql://root@127.0.0.1:5432/postgres"
    namespace: str = ""  # prefixes databases and queues, so a test run stays apart
    orchestrators: int = 1
    http_port: int = 3000
    # The first of consecutive ports, one per worker's /metrics listener in the registry's order; None
    # serves none.
    # (An orchestrator serves /metrics on its HTTP port.)
    metrics_port: int | None = None
    log_dir: Path = Path(".run/logs")
    database_passwords: Path = Path(".run/database-passwords.env")  # written on first use
    env: dict[str, str] = field(default_factory=dict)  # for every process
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)
    # A module that starts each process as `python -m <entry> <package>` rather than `python -m
    # <package>`: the tests start theirs through one that can install faults.
    entry: str | None = None
    broker: BrokerAccess | None = None  # the vhost, and each process's user in it

    @property
    def access(self) -> BrokerAccess:
        if self.broker is None:
            raise RuntimeError("no broker access: a system's vhost and users come from ops.broker_access")
        return self.broker

    @property
    def amqp_url(self) -> str:
        """The administrator's: for setup and inspection, never for a process of the system."""
        return self.access.admin_url

    @property
    def services(self) -> list[str]:
        return [*registry.workers(), *map(replica, range(self.orchestrators))]

    def port(self, service: str) -> int:
        return self.http_port + replica_index(service)

    def metrics_url(self, service: str) -> str:
        """Where Prometheus scrapes the process."""
        if service.startswith(ORCHESTRATOR):
            return f"http://127.0.0.1:{self.port(service)}/metrics"
        if self.metrics_port is None:
            raise RuntimeError("the workers serve no metrics: no metrics_port")
        return f"http://127.0.0.1:{self.metrics_port + registry.workers().index(service)}/metrics"

    @property
    def queue_prefix(self) -> str:
        return queue_prefix(self.namespace)

    def database_role(self, service: str) -> str:
        """The process's login role, and the name of the one database it may use."""
        return f"{self.namespace}{package_of(service)}"

    def database_logins(self) -> list[database_access.Login]:
        """Every process's login; the setup step creates them, with their databases."""
        passwords = database_access.passwords(self.database_passwords, os.environ)
        return [database_access.Login(p, self.database_role(p), passwords[p]) for p in registry.packages()]

    def database_url(self, service: str) -> str:
        """The process's own database, logged in as its own role."""
        login = next(login for login in self.database_logins() if login.package == package_of(service))
        return database_access.login_url(self.postgres_url, login.role, login.password)

    def command(self, service: str) -> list[str]:
        entry = [self.entry] if self.entry else []
        return [sys.executable, "-m", *entry, package_of(service)]

    def environment(self, service: str) -> dict[str, str]:
        env = {
            **_without_secrets(os.environ),
            "DATABASE_URL": self.database_url(service),
            "AMQP_URL": self.access.url(role_of(service)),
            "QUEUE_PREFIX": self.queue_prefix,
            "HTTP_PORT": str(self.port(service)),
            **self.env,
        }
        if service in registry.workers() and self.metrics_port is not None:
            env["METRICS_PORT"] = str(self.metrics_port + registry.workers().index(service))
        if service.startswith(ORCHESTRATOR):
            env["REPLICA"] = service  # a restarted replica takes up its own reply queue again
            env[CORRELATION_VARIABLE] = self.access.correlation_secret  # the services never see it
        return {**env, **self.service_env.get(service_of(service), {})}


def _without_secrets(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment minus the secrets of setup: each process gets only its own."""
    return {
        name: value
        for name, value in environ.items()
        if name != CORRELATION_VARIABLE and not name.startswith(access.password_variable(""))
    }


class System:
    def __init__(self, config: SystemConfig) -> None:
        self.config = config
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        config.log_dir.mkdir(parents=True, exist_ok=True)

    def log_path(self, service: str) -> Path:
        return self.config.log_dir / f"{service}.log"

    def start(self, service: str, env: dict[str, str] | None = None) -> None:
        with self.log_path(service).open("ab") as log:
            self.processes[service] = subprocess.Popen(
                self.config.command(service),
                env={**self.config.environment(service), **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def start_all(self, timeout: float = 60) -> None:
        for service in self.config.services:
            self.start(service)
        self.wait_ready(self.config.services, timeout)

    def kill(self, service: str) -> None:
        """SIGKILL: no goodbye, no flush, as a crash would."""
        process = self.processes.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def restart(self, service: str, timeout: float = 60, env: dict[str, str] | None = None) -> None:
        if service in self.processes:
            self.kill(service)
        self.start(service, env)
        self.wait_ready([service], timeout)

    def stop_all(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def url(self, service: str = ORCHESTRATOR) -> str:
        return f"http://127.0.0.1:{self.config.port(service)}"

    def wait_ready(self, services: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = set(services)
        marks = {service: self._log_size(service) for service in services}
        while pending:
            for service in list(pending):
                if self._is_ready(service, marks[service]):
                    pending.discard(service)
                elif self.processes[service].poll() is not None:
                    raise RuntimeError(f"{service} exited; see {self.log_path(service)}")
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready within {timeout}s: {sorted(pending)}")
            time.sleep(0.05)

    def _log_size(self, service: str) -> int:
        path = self.log_path(service)
        return 0 if not path.exists() else path.stat().st_size

    def _is_ready(self, service: str, since: int) -> bool:
        if package_of(service) == package_of(ORCHESTRATOR):
            try:
                return httpx.get(f"{self.url(service)}/readyz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False
        with self.log_path(service).open("rb") as log:
            log.seek(since)
            return READY.search(log.read()) is not None
