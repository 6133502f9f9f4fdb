"""The machine's ceiling, with the clients the services use: durable one-row commits per second
(asyncpg) and persistent, confirmed messages per second through a quorum queue (aio-pika).

A saga cannot go faster than the commits and messages it needs allow; the ratio of our sagas per
second to that bound says how much the system spends beyond the unavoidable I/O.
"""

import asyncio
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel

from shared.database import with_database
from shared.topology import QUORUM

CONNECTIONS_LEFT_FREE = 10  # for whoever else uses the server meanwhile
CHANNELS = 4
BODY = b'{"sagaId": "%s", "payload": {"orderId": "bench", "quantity": 1}, "pad": "' + b"x" * 300 + b'"}'


@dataclass(frozen=True)
class Ceiling:
    pg_commits_per_s: float
    pg_connections: int
    mq_published_per_s: float
    mq_consumed_per_s: float
    mq_publishers: int


async def measure(postgres_url: str, amqp_url: str, namespace: str, clients: int, seconds: float) -> Ceiling:
    connections = await _connections_free(postgres_url, clients)
    commits = await postgres_commits(postgres_url, f"{namespace}ceiling", connections, seconds)
    published, consumed = await rabbit_messages(amqp_url, f"{namespace}.ceiling", clients, seconds)
    return Ceiling(commits, connections, published, consumed, clients)


async def _connections_free(postgres_url: str, wanted: int) -> int:
    admin = await asyncpg.connect(postgres_url)
    try:
        limit = int(await admin.fetchval("SHOW max_connections"))
        used = int(
            await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
            )
        )
    finally:
        await admin.close()
    return max(1, min(wanted, limit - used - CONNECTIONS_LEFT_FREE))


async def postgres_commits(postgres_url: str, database: str, connections: int, seconds: float) -> float:
    """Each connection inserts one row per transaction in a loop, in a scratch database."""
    admin = await asyncpg.connect(postgres_url)
    await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{database}"')
    url = with_database(postgres_url, database)
    conns: list[asyncpg.Connection] = []
    try:
        conns = list(await asyncio.gather(*(asyncpg.connect(url) for _ in range(connections))))
        await conns[0].execute("CREATE TABLE commits (id bigserial PRIMARY KEY, body text NOT NULL)")
        deadline = time.perf_counter() + seconds
        counts = await asyncio.gather(*(_insert_until(conn, deadline) for conn in conns))
        return sum(counts) / seconds
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def _insert_until(conn: asyncpg.Connection, deadline: float) -> int:
    count = 0
    body = "x" * 300
    while time.perf_counter() < deadline:
        await conn.execute("INSERT INTO commits (body) VALUES ($1)", body)  # outside BEGIN: one commit
        count += 1
    return count


async def rabbit_messages(amqp_url: str, queue: str, publishers: int, seconds: float) -> tuple[float, float]:
    """Publishers await each confirm, as the services do; then one consumer drains and acks."""
    connection = await aio_pika.connect_robust(amqp_url)
    async with connection:
        channels = [await connection.channel(publisher_confirms=True) for _ in range(CHANNELS)]
        await channels[0].queue_delete(queue)
        await _declare(channels[0], queue)
        try:
            deadline = time.perf_counter() + seconds
            counts = await asyncio.gather(
                *(_publish_until(channels[i % CHANNELS], queue, deadline) for i in range(publishers))
            )
            consumed = await _drain(await connection.channel(), queue, sum(counts), seconds)
            return sum(counts) / seconds, consumed
        finally:
            await channels[0].queue_delete(queue)


async def _declare(channel: AbstractChannel, name: str) -> aio_pika.abc.AbstractQueue:
    """A queue like the system's, on the default exchange: the broker's own ceiling, without our topology."""
    return await channel.declare_queue(name, durable=True, arguments=QUORUM)


async def _publish_until(channel: AbstractChannel, queue: str, deadline: float) -> int:
    count = 0
    while time.perf_counter() < deadline:
        message_id = str(uuid.uuid4())
        message = aio_pika.Message(
            BODY % message_id.encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message_id,
        )
        await channel.default_exchange.publish(message, routing_key=queue, mandatory=True)
        count += 1
    return count


async def _drain(channel: AbstractChannel, name: str, expected: int, seconds: float) -> float:
    """Messages consumed and acked per second, with the services' prefetch."""
    await channel.set_qos(prefetch_count=64)
    queue = await _declare(channel, name)
    done = asyncio.Event()
    consumed = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal consumed
        await message.ack()
        consumed += 1
        if consumed >= expected:
            done.set()

    began = time.perf_counter()
    tag = await queue.consume(on_message)
    with suppress(TimeoutError):  # the rate so far is the answer
        await asyncio.wait_for(done.wait(), seconds)
    elapsed = time.perf_counter() - began
    await queue.cancel(tag)  # before the queue goes, so the broker has nothing to cancel
    return consumed / elapsed
