"""Session-wide fixtures: the infrastructure, a namespace that keeps this run's queues apart, and
this run's own vhost and broker users."""

import re
from collections.abc import AsyncIterator, Iterator

import pytest

from ops import broker_access, registry
from ops.broker_access import BrokerAccess
from tests.infrastructure import Infrastructure, infrastructure
from tests.polling import random_ref


@pytest.fixture(scope="session")
def infra() -> Iterator[Infrastructure]:
    with infrastructure() as found:
        yield found


@pytest.fixture(scope="session")
def run_id() -> str:
    """Prefixes this test run's databases and queues."""
    return random_ref("t").replace("-", "")


@pytest.fixture(scope="session")
async def broker(infra: Infrastructure, run_id: str) -> AsyncIterator[BrokerAccess]:
    """A vhost named after the run, with its users and their permissions, set up once (each
    `rabbitmqctl` call takes about a second) and deleted at the end. Every system and bus of the
    run lives in it, their queue prefixes all starting with the run's id."""
    access = broker_access.generated(infra.amqp_url, run_id, registry.services())
    prefixes = re.escape(run_id) + r"\w*[._]"
    await broker_access.provision(access, registry.services(), prefix_pattern=prefixes, topology_prefix=None)
    yield access
    await broker_access.remove(access)
