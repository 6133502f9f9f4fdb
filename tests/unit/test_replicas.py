"""Any number of orchestrator replicas: each its own process name, port and reply queue, and all
of them the one orchestrator service."""

import pytest

from ops import namespace, registry
from ops.bench.__main__ import _parser
from ops.supervisor import Backoff
from ops.system import ORCHESTRATOR, SystemConfig, package_of, service_of

pytestmark = pytest.mark.unit

REPLICAS = 12


def _replicas(config: SystemConfig) -> list[str]:
    return [s for s in config.services if s.startswith(ORCHESTRATOR)]


def test_each_replica_has_its_own_name_and_port() -> None:
    config = SystemConfig(orchestrators=REPLICAS, http_port=4000)
    replicas = _replicas(config)
    assert len(set(replicas)) == REPLICAS
    assert [config.port(r) for r in replicas] == list(range(4000, 4000 + REPLICAS))


def test_every_replica_runs_the_orchestrator_and_every_worker_itself() -> None:
    config = SystemConfig(orchestrators=REPLICAS)
    assert {service_of(r) for r in _replicas(config)} == {ORCHESTRATOR}
    assert {package_of(r) for r in _replicas(config)} == {registry.ORCHESTRATOR_PACKAGE}
    assert [service_of(w) for w in registry.workers()] == list(registry.workers())


def test_removing_a_namespace_removes_every_replicas_reply_queue() -> None:
    config = SystemConfig(orchestrators=REPLICAS, namespace="run1_")
    replica_queues = set(namespace.queues(config)) - set(namespace.queues(SystemConfig(namespace="run1_")))
    assert len(replica_queues) == REPLICAS - 1


def test_the_bench_takes_any_number_of_replicas() -> None:
    assert _parser().parse_args(["--orchestrators", "1", "3"]).orchestrators == [1, 3]
    with pytest.raises(SystemExit):
        _parser().parse_args(["--orchestrators", "0"])


def test_restart_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=3)
    assert [backoff.delay(crashes) for crashes in range(5)] == [0.5, 1, 2, 3, 3]
