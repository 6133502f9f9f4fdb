"""Where the tests find Postgres and RabbitMQ: the environment, this machine, or containers."""

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_POSTGRES = "postgresql://root@127.0.0.1:5432/postgres"
LOCAL_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass(frozen=True)
class Infrastructure:
    postgres_url: str  # points at a maintenance database; tests create their own
    amqp_url: str


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1):
            return True
    except OSError:
        return False


@contextmanager
def infrastructure() -> Iterator[Infrastructure]:
    """Env vars win; else the local servers; containers only where neither is there and Docker is."""
    postgres = os.environ.get("TEST_POSTGRES_URL")
    amqp = os.environ.get("TEST_AMQP_URL")
    with ExitStack() as stack:
        if postgres is None:
            postgres = LOCAL_POSTGRES
            if not _reachable(postgres) and shutil.which("docker"):
                postgres = stack.enter_context(_postgres_container())
        if amqp is None:
            amqp = LOCAL_AMQP
            if not _reachable(amqp) and shutil.which("docker"):
                amqp = stack.enter_context(_rabbitmq_container())
        yield Infrastructure(postgres, amqp)


@contextmanager
def _postgres_container() -> Iterator[str]:
    from testcontainers.postgres import PostgresContainer  # noqa: PLC0415 (only where Docker runs)

    with PostgresContainer("postgres:15", driver=None) as container:
        yield container.get_connection_url().replace("/test", "/postgres")


@contextmanager
def _rabbitmq_container() -> Iterator[str]:
    from testcontainers.rabbitmq import RabbitMqContainer  # noqa: PLC0415 (only where Docker runs)

    with RabbitMqContainer("rabbitmq:3.13-management") as container:
        host, port = container.get_container_host_ip(), container.get_exposed_port(5672)
        yield f"amqp://guest:guest@{host}:{port}/"
