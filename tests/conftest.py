"""Session-wide fixtures: the infrastructure, and a namespace that keeps this run's queues apart."""

from collections.abc import Iterator

import pytest

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
