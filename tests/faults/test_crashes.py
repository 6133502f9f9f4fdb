"""kill -9 of our own processes mid-flight: every saga still finishes, and nothing happens twice."""

import asyncio

import aio_pika
import pytest

from ops import registry
from ops.system import ORCHESTRATOR, System
from ops.traffic import EXPRESS_EVERY, Traffic, in_flight, settled
from shared.topology import replica_reply_queue
from tests.faults.conftest import Launch
from tests.harness import in_background
from tests.polling import eventually

pytestmark = pytest.mark.faults


async def test_a_killed_orchestrator_carries_on_every_saga_after_restart(system: System) -> None:
    traffic = Traffic([system.url()], express_every=EXPRESS_EVERY)
    async with in_background(traffic.run()) as load:
        await in_flight(traffic, 20)

        system.kill(ORCHESTRATOR)
        await asyncio.to_thread(system.restart, ORCHESTRATOR)
        await load

    books = await settled(system, traffic)
    assert books.violations == []
    assert books.terminal == traffic.count


@pytest.mark.parametrize("worker", registry.workers())
async def test_a_killed_worker_answers_redelivered_commands_from_its_inbox(
    system: System, worker: str
) -> None:
    traffic = Traffic([system.url()], express_every=EXPRESS_EVERY)  # so that every worker has work
    async with in_background(traffic.run()) as load:
        await in_flight(traffic, 20)

        system.kill(worker)
        await asyncio.to_thread(system.restart, worker)
        await load

    books = await settled(system, traffic)
    assert books.violations == []
    assert books.terminal == traffic.count


async def test_two_replicas_share_sagas_and_one_finishes_the_others_when_killed(launch: Launch) -> None:
    """Steps never time out here: the killed replica's sagas are finished by the survivor, from
    the replies that move on from the dead replica's queue and the commands the relay sends."""
    async with launch(env={"STEP_TIMEOUT_SECONDS": "600"}, orchestrators=2) as system:
        first, second = system.url(ORCHESTRATOR), system.url(f"{ORCHESTRATOR}-2")
        traffic = Traffic([first, second], count=80, concurrency=8)
        async with in_background(traffic.run()) as load:
            await in_flight(traffic, 30)

            system.kill(f"{ORCHESTRATOR}-2")
            await load

        books = await settled(system, traffic)
        assert books.violations == []
        assert books.terminal == traffic.count
        dead_replicas_queue = replica_reply_queue(f"{ORCHESTRATOR}-2", system.config.queue_prefix)
        await eventually(lambda: waiting_in(system, dead_replicas_queue), lambda count: count == 0)


async def waiting_in(system: System, queue: str) -> int:
    async with await aio_pika.connect(system.config.amqp_url) as connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        count = declared.declaration_result.message_count
        assert count is not None
        return count
