"""`make cluster-up` / `make cluster-down`: three RabbitMQ nodes joined into one cluster, and a
Postgres primary with a synchronous standby, all on this machine beside its own servers, with the
system's vhost, users and databases set up on them as `make run` sets them up on one node.

`make run CLUSTER=1` then runs the system against it; clients are given every node's address.
"""

import argparse
import asyncio
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ops import broker_access, cluster_broker, cluster_database, database_access, registry
from ops.cluster_broker import BrokerNode
from ops.cluster_database import DatabaseNode
from ops.system import SystemConfig
from shared import access

FOLDER = Path(".run/cluster")
NAME = "saga-cluster"
# AMQP on 5701-5703 (inter-node on 25701-25703), Postgres primary and standby on 5741-5742.
BROKER_PORT = 5701
DATABASE_PORT = 5741


@dataclass(frozen=True)
class Cluster:
    """Where each node lives; the same name, ports and folder find it again for `down`."""

    name: str = NAME
    broker_port: int = BROKER_PORT
    database_port: int = DATABASE_PORT
    folder: Path = FOLDER

    @property
    def brokers(self) -> list[BrokerNode]:
        return [
            BrokerNode(f"{self.name}-{i + 1}", self.broker_port + i, self.folder / f"rabbit-{i + 1}")
            for i in range(3)
        ]

    @property
    def databases(self) -> list[DatabaseNode]:
        """The primary as created, then its standby; after a failover the standby is the primary."""
        return [DatabaseNode(self.database_port + i, self.folder / f"postgres-{i + 1}") for i in range(2)]

    @property
    def amqp_url(self) -> str:
        """Every node, for clients that connect to one and move to another when it dies."""
        return f"amqp://{','.join(node.address for node in self.brokers)}/"

    @property
    def postgres_url(self) -> str:
        """The owner's, on whichever node takes writes."""
        hosts = ",".join(node.address for node in self.databases)
        return f"postgresql://{cluster_database.SERVER_USER}@{hosts}/postgres?target_session_attrs=read-write"


async def up(cluster: Cluster) -> None:
    """Builds and starts every node, joins the brokers; a cluster left from before is removed first."""
    await down(cluster)
    first, *others = cluster.brokers
    for node in cluster.brokers:
        cluster_broker.prepare(node)
    await asyncio.gather(*(cluster_broker.start(node) for node in cluster.brokers))
    for node in others:
        await cluster_broker.join(node, first)
    primary, standby = cluster.databases
    await cluster_database.create_primary(primary)
    await cluster_database.create_standby(standby, primary)


async def down(cluster: Cluster) -> None:
    """Stops each node by its name or folder, never by process name, and removes its files."""
    await asyncio.gather(*(cluster_broker.stop(node) for node in cluster.brokers))
    await asyncio.gather(*(cluster_database.stop(node) for node in cluster.databases))
    shutil.rmtree(cluster.folder, ignore_errors=True)


async def set_up_system(
    cluster: Cluster, vhost: str = access.DEFAULT_VHOST, prefix: str = ""
) -> SystemConfig:
    """The system's vhost, users and queues on the brokers (once they are one cluster, so that every
    quorum queue has a replica on each), and its databases and roles on the primary."""
    broker = await broker_access.set_up_local(
        registry.services(), vhost, prefix, amqp_url=cluster.amqp_url, node=cluster.brokers[0].node
    )
    config = SystemConfig(postgres_url=cluster.postgres_url, broker=broker)
    await database_access.set_up(config.postgres_url, config.database_logins())
    return config


def address_file(cluster: Cluster) -> Path:
    return cluster.folder / "addresses.json"


def write_addresses(cluster: Cluster) -> None:
    """What `make run CLUSTER=1` reads: where the cluster's brokers and databases are."""
    addresses = {
        "amqp_url": cluster.amqp_url,
        "postgres_url": cluster.postgres_url,
        "node": cluster.brokers[0].node,
    }
    address_file(cluster).write_text(json.dumps(addresses, indent=2))


def machine_addresses() -> dict[str, str]:
    """The machine's own servers, in the form of `read_addresses`."""
    return {"amqp_url": broker_access.LOCAL_AMQP, "postgres_url": SystemConfig.postgres_url, "node": ""}


def read_addresses(cluster: Cluster = Cluster()) -> dict[str, str]:
    path = address_file(cluster)
    if not path.exists():
        raise SystemExit("no local cluster: run `make cluster-up` first")
    addresses: dict[str, str] = json.loads(path.read_text())
    return addresses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["up", "down"])
    args = parser.parse_args()
    cluster = Cluster()
    if args.action == "down":
        asyncio.run(down(cluster))
        print(f"cluster removed: {cluster.folder}/")
        return
    asyncio.run(up(cluster))
    asyncio.run(set_up_system(cluster))
    write_addresses(cluster)
    print(f"brokers {cluster.amqp_url}\ndatabases {cluster.postgres_url}")


if __name__ == "__main__":
    main()
