"""Fixtures for one service at a time: its database, its worker in this event loop, and this run's bus."""

from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractRobustConnection

from ops.broker_access import BrokerAccess
from shared.broker import connect
from tests.infrastructure import Infrastructure
from tests.integration.bus import Bus
from tests.integration.harness import Databases, Participant, ServiceDatabase, Worker
from tests.integration.services import SERVICES, ServiceSpec
from tests.settings import explicit


@pytest.fixture(scope="session")
async def bus(broker: BrokerAccess, run_id: str) -> AsyncIterator[Bus]:
    opened = await Bus.open(broker, f"{run_id}.", [spec.service for spec in SERVICES])
    yield opened
    await opened.close()


@pytest.fixture
async def connection(broker: BrokerAccess) -> AsyncIterator[AbstractRobustConnection]:
    """The administrator's, on this run's vhost."""
    async with await connect(broker.admin_url) as opened:
        yield opened


@pytest.fixture(scope="session")
async def databases(infra: Infrastructure, run_id: str) -> AsyncIterator[Databases]:
    created = Databases(infra.postgres_url, run_id)
    yield created
    await created.drop_all()


@pytest.fixture
def spec() -> ServiceSpec:
    """Each test module names its service, or parametrizes over them all."""
    raise NotImplementedError("override `spec` in the test module")


@pytest.fixture
async def db(databases: Databases, spec: ServiceSpec) -> ServiceDatabase:
    return await databases.get(spec)


@pytest.fixture
async def participant(
    spec: ServiceSpec, bus: Bus, db: ServiceDatabase, broker: BrokerAccess
) -> AsyncIterator[Participant]:
    settings = explicit(
        spec.settings_type,
        database_url=db.url,
        amqp_url=broker.url(spec.service),
        queue_prefix=bus.prefix,
        # One message at a time: a reply to a later command proves an earlier one was handled,
        # which is how the tests show that a command got no reply. Races are tested apart.
        prefetch=1,
        db_pool_size=4,
    )
    worker = Worker(spec, settings, bus)
    await worker.start()
    yield Participant(spec, bus, worker, db)
    await worker.stop()
