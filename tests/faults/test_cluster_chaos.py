"""A small `make chaos-ha`: sagas over three replicas on a cluster of its own, built and removed by
the run, while broker nodes and the Postgres primary crash and our processes are killed."""

import socket
from pathlib import Path

import pytest

from ops.chaos_ha import chaos_ha
from ops.cluster import Cluster
from ops.cluster_broker import DIST_PORT_OFFSET
from ops.system import free_ports

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]


def refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def broker_ports(count: int) -> int:
    """The first of `count` free AMQP ports whose inter-node ports, above them, are valid and free."""
    for _ in range(200):
        first = free_ports(count)
        dist = range(first + DIST_PORT_OFFSET, first + DIST_PORT_OFFSET + count)
        if dist.stop <= 65536 and all(refused(port) for port in dist):
            return first
    raise RuntimeError(f"no {count} free broker ports with their inter-node ports")


async def test_sagas_keep_their_invariants_through_node_crashes_and_a_failover(
    run_id: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The servers run as their own users: the folder lies in the project, not in root's temp.
    cluster = Cluster(
        name=f"{run_id}-ha",
        broker_port=broker_ports(3),
        database_port=free_ports(2),
        folder=Path(".run/test-clusters") / run_id,
    )
    exit_code = await chaos_ha(sagas=60, rate=6, seed=1, cluster=cluster, log_dir=tmp_path / "logs")
    table = capsys.readouterr().out
    assert exit_code == 0, table
    assert "crash rabbitmq" in table and "crash postgres primary, standby promoted" in table
    # Nothing of the cluster is left behind.
    assert not cluster.folder.exists()
    ports = [node.port for node in cluster.brokers] + [node.port for node in cluster.databases]
    assert all(refused(port) for port in ports)
