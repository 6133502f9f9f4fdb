"""`make run`'s supervision with real processes: what dies is restarted, with backoff while it keeps
dying, and Ctrl-C leaves nothing behind."""

import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import aio_pika
import pytest

from ops.broker_access import BrokerAccess
from ops.supervisor import Backoff, Supervisor
from ops.system import ORCHESTRATOR, System, SystemConfig
from shared.topology import replica_reply_queue
from tests import supervised
from tests.harness import SagaApi, order, prepared_system
from tests.infrastructure import Infrastructure
from tests.polling import eventually, random_ref

pytestmark = pytest.mark.e2e
T = TypeVar("T")

STARTED = re.compile(r"(\S+) started, pid (\d+)$")
# The same line in the launcher's output, among the services' own, as the launcher's.
FOLLOWED_START = re.compile(r"^supervisor\s*\| " + STARTED.pattern, re.MULTILINE)
RESTARTING = re.compile(r"(\S+) exited with code (-?\d+); restarting in ([\d.]+) s")


class Launcher:
    """`python -m tests.supervised` running a prepared system, its followed output in a file."""

    def __init__(self, config: SystemConfig, output: Path) -> None:
        self.config, self.output = config, output
        env = {**os.environ, supervised.VARIABLE: supervised.encode(config)}
        with output.open("wb") as out:
            command = [sys.executable, "-m", supervised.__name__]
            self.process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def pids(self) -> list[tuple[str, int]]:
        """Every process started so far, in order, restarts included."""
        return [(service, int(pid)) for service, pid in FOLLOWED_START.findall(self.text())]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.config.port(service)}"

    async def ready(self) -> None:
        await eventually(self._state, lambda text: "ready: " in text, timeout=90, interval=0.1)

    async def _state(self) -> str:
        if self.process.poll() is not None:
            raise AssertionError(f"the launcher exited:\n{self.text()}")
        return self.text()


@asynccontextmanager
async def launched(
    infra: Infrastructure, broker: BrokerAccess, prefix: str, log_dir: Path, orchestrators: int
) -> AsyncIterator[Launcher]:
    async with prepared_system(infra, broker, prefix, log_dir, orchestrators=orchestrators) as config:
        launcher = Launcher(config, log_dir / "launcher.out")
        try:
            await launcher.ready()
            yield launcher
        finally:
            launcher.process.send_signal(signal.SIGINT)
            launcher.process.wait(60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _completes(url: str, prefix: str) -> None:
    async with SagaApi(url) as api:
        order_id = random_ref(prefix)
        assert (await api.start(order(order_id))).status_code == 202
        assert (await api.finished(order_id, timeout=60))["status"] == "COMPLETED"


async def test_a_process_killed_with_sigkill_is_restarted_and_the_system_keeps_serving(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path: Path
) -> None:
    async with launched(infra, broker, f"{run_id}_sv_", tmp_path, orchestrators=1) as launcher:
        victim = dict(launcher.pids())["payment-service"]
        os.kill(victim, signal.SIGKILL)

        def restarted(pids: list[tuple[str, int]]) -> bool:
            return any(service == "payment-service" and pid != victim for service, pid in pids)

        await eventually(lambda: _value(launcher.pids()), restarted, timeout=60, interval=0.1)
        assert ("payment-service", str(-signal.SIGKILL)) in [
            m[:2] for m in RESTARTING.findall(launcher.text())
        ]
        await _completes(launcher.url(ORCHESTRATOR), "sv")


async def test_ctrl_c_stops_every_process_of_three_replicas_that_each_served_a_saga(
    infra: Infrastructure, broker: BrokerAccess, run_id: str, tmp_path: Path
) -> None:
    async with launched(infra, broker, f"{run_id}_sv3_", tmp_path, orchestrators=3) as launcher:
        replicas = [s for s in launcher.config.services if s.startswith(ORCHESTRATOR)]
        assert len({launcher.config.port(s) for s in replicas}) == 3
        for replica in replicas:
            await _completes(launcher.url(replica), "sv3")
        await _each_has_its_reply_queue(launcher.config, replicas)
        pids = [pid for _, pid in launcher.pids()]
        assert len(pids) == len(launcher.config.services)
        launcher.process.send_signal(signal.SIGINT)
        assert await eventually(lambda: _value(launcher.process.poll()), lambda code: code is not None) == 0
    assert not [pid for pid in pids if _alive(pid)]


async def _each_has_its_reply_queue(config: SystemConfig, replicas: list[str]) -> None:
    connection = await aio_pika.connect(config.amqp_url)
    async with connection:
        channel = await connection.channel()
        for replica in replicas:  # passive: fails if the replica had not declared its own
            await channel.declare_queue(replica_reply_queue(replica, config.queue_prefix), passive=True)


# A process that ran `reset_after` counts as healthy: its next crash waits the base delay again.
@pytest.mark.parametrize(
    ("reset_after", "expected"), [(3600, [0.1, 0.2, 0.4, 0.4, 0.4]), (0, [0.1, 0.1, 0.1, 0.1, 0.1])]
)
async def test_a_process_that_keeps_crashing_waits_longer_each_time(
    infra: Infrastructure,
    broker: BrokerAccess,
    run_id: str,
    tmp_path: Path,
    reset_after: float,
    expected: list[float],
) -> None:
    lines: list[str] = []
    async with prepared_system(infra, broker, f"{run_id}_bo_", tmp_path) as config:
        system = System(config)
        supervisor = Supervisor(system, lines.append, Backoff(base=0.1, cap=0.4, reset_after=reset_after))
        try:
            supervisor.start_all()
            # From now on the service cannot start: its settings refuse the value.
            config.service_env["payment-service"] = {"PREFETCH": "not a number"}
            os.kill(system.processes["payment-service"].pid, signal.SIGKILL)

            async def delays() -> list[float]:
                supervisor.check()
                found = [RESTARTING.search(line) for line in lines]
                return [float(m[3]) for m in found if m and m[1] == "payment-service"]

            seen = await eventually(delays, lambda found: len(found) >= 5, timeout=120, interval=0.05)
            assert seen[:5] == expected
            started = [m[2] for m in map(STARTED.search, lines) if m and m[1] == "payment-service"]
            assert len(started) >= 5 and len(set(started)) == len(started), "each restart is a new process"
        finally:
            system.stop_all()


async def _value(value: T) -> T:
    return value
