"""RabbitMQ or Postgres restarted mid-flight: every process reconnects by itself and carries on."""

from collections.abc import Awaitable, Callable

import pytest

from ops.servers import restart_postgres, restart_rabbitmq, restartable
from ops.system import System
from ops.traffic import Traffic, in_flight, settled
from tests.harness import in_background
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.faults


@pytest.mark.parametrize("restart", [restart_rabbitmq, restart_postgres], ids=["rabbitmq", "postgres"])
async def test_sagas_survive_a_server_restart(
    infra: Infrastructure, system: System, restart: Callable[[], Awaitable[None]]
) -> None:
    if not restartable(infra.postgres_url, infra.amqp_url):
        pytest.skip("restarts only Postgres and RabbitMQ on this machine, through their own tools")
    traffic = Traffic([system.url()], count=80)
    async with in_background(traffic.run()) as load:
        await in_flight(traffic, 20)

        await restart()
        await load

    books = await settled(system, traffic, timeout=90)
    assert books.violations == []
    assert books.terminal == traffic.count
    assert all(process.poll() is None for process in system.processes.values())
