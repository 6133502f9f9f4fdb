"""A client given several broker nodes uses one that answers: a node that is down is passed over,
when connecting and when a connection is lost."""

import asyncio
from urllib.parse import urlsplit, urlunsplit

import pytest

from ops.broker_access import BrokerAccess
from ops.system import free_ports
from shared.broker import ClusterConnection, connect
from tests.polling import eventually

pytestmark = pytest.mark.integration


def with_dead_node_first(url: str) -> str:
    """`url`'s broker listed after a node that is not there (a port nothing listens on)."""
    parts = urlsplit(url)
    login, _, server = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{login}@127.0.0.1:{free_ports()},{server}"))


async def test_a_client_passes_over_a_node_that_is_down(broker: BrokerAccess) -> None:
    connection = await connect(with_dead_node_first(broker.admin_url))
    try:
        channel = await connection.channel()
        assert not channel.is_closed
    finally:
        await connection.close()


class Node:
    """A broker node that can die: a TCP relay to the real broker, closed with its connections."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5672)
        self._pipes: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        port: int = self.server.sockets[0].getsockname()[1]
        return port

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._pipes += [writer, upstream_writer]
        await asyncio.gather(
            _pipe(reader, upstream_writer), _pipe(upstream_reader, writer), return_exceptions=True
        )

    def die(self) -> None:
        assert self.server is not None
        self.server.close()
        for pipe in self._pipes:
            pipe.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()
    writer.close()


async def test_a_lost_connection_is_made_again_through_a_node_that_survives(broker: BrokerAccess) -> None:
    live = urlsplit(broker.admin_url)
    login, _, server = live.netloc.rpartition("@")
    node = Node(broker.admin_url)
    doomed = await node.start()
    url = urlunsplit(live._replace(netloc=f"{login}@127.0.0.1:{doomed},{server}"))
    connection = await connect(url)
    try:
        assert isinstance(connection, ClusterConnection)
        assert connection.url.port == doomed
        node.die()

        async def port() -> int | None:
            return connection.url.port if connection.connected.is_set() else None

        await eventually(port, lambda now: now == live.port, timeout=30)
        channel = await connection.channel()
        await channel.declare_queue(exclusive=True)  # it works, on the node that survived
    finally:
        await connection.close()
