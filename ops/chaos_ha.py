"""`make chaos-ha`: `make chaos` on a local cluster (ops/cluster.py) with three orchestrator replicas.
Besides the random kills of our processes, a RabbitMQ node is killed with -9 and restarted later,
later another one, and the Postgres primary is killed with -9 and its standby promoted.

Checks the invariants of `make chaos`, prints its table with the longest recovery per kind of
fault, and exits non-zero on any violation. The cluster is built for the run and removed after it.
"""

import argparse
import asyncio
import dataclasses
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ops import cluster_broker, cluster_database
from ops.chaos import ENV, Fault, Monkey, longest_recovery, report
from ops.cluster import Cluster, down, set_up_system, up
from ops.system import ORCHESTRATOR, System, SystemConfig
from ops.traffic import EXPRESS_EVERY, Traffic, settled

FOLDER = Path(".run/chaos-ha")
REPLICAS = 3


@dataclass
class ClusterMonkey(Monkey):
    """Kills our processes as `make chaos` does, and crashes the cluster's nodes when told to."""

    cluster: Cluster = field(default_factory=Cluster)
    crashed: list[str] = field(default_factory=list)  # brokers crashed so far, so the next is another
    restarted: asyncio.Task[None] | None = None  # the last crashed broker's restart

    async def _restart_server(self, server: str) -> str:
        return await (self._crash_broker() if server == "rabbitmq" else self._fail_over())

    async def _crash_broker(self) -> str:
        # One node down at a time: two of three would leave the quorum queues without a majority.
        await self.brokers_back()
        node = self.rng.choice([node for node in self.cluster.brokers if node.name not in self.crashed])
        self.crashed.append(node.name)
        cluster_broker.crash(node)
        # Restarted later, while our processes go on being killed and the other two nodes carry on.
        self.restarted = asyncio.create_task(self._restart_later(node))
        return f"crash rabbitmq {node.name}, restarted later"

    async def _restart_later(self, node: cluster_broker.BrokerNode) -> None:
        await asyncio.sleep(self.rng.uniform(3, 8))
        await cluster_broker.start(node)

    async def brokers_back(self) -> None:
        if self.restarted is not None:
            await self.restarted

    async def _fail_over(self) -> str:
        primary, standby = self.cluster.databases
        cluster_database.crash(primary)
        await asyncio.sleep(self.rng.uniform(0.5, 2))  # as long as it takes someone to notice
        await cluster_database.promote(standby)
        return "crash postgres primary, standby promoted"


def kind(fault: Fault) -> str:
    """A fault's kind: a process kill, a broker node crash or a database failover."""
    return " ".join(fault.what.split()[:2]) if fault.what.startswith("crash") else "kill a process"


async def recoveries(config: SystemConfig, faults: list[Fault]) -> dict[str, float]:
    by_kind: defaultdict[str, list[Fault]] = defaultdict(list)
    for fault in faults:
        by_kind[kind(fault)].append(fault)
    return {name: await longest_recovery(config, group) for name, group in sorted(by_kind.items())}


async def chaos_ha(sagas: int, rate: float, seed: int, cluster: Cluster, log_dir: Path) -> int:
    """Runs the whole exercise on `cluster`, built here and removed at the end, however it ends."""
    try:
        await up(cluster)
        base = await set_up_system(cluster)
        config = dataclasses.replace(base, orchestrators=REPLICAS, log_dir=log_dir, env=ENV)
        system = System(config)
        try:
            system.start_all()
            replicas = [system.url(s) for s in config.services if s.startswith(ORCHESTRATOR)]
            load = Traffic(replicas, count=sagas, concurrency=8, rate=rate, express_every=EXPRESS_EVERY)
            monkey = ClusterMonkey(system, random.Random(seed), cluster=cluster)
            crashes = {sagas // 5: "rabbitmq", 2 * sagas // 5: "postgres", 3 * sagas // 5: "rabbitmq"}
            await asyncio.gather(load.run(), monkey.run(load, crashes))
            await monkey.brokers_back()
            books = await settled(system, load, timeout=240)
            recovery = await recoveries(config, monkey.faults)
        finally:
            system.stop_all()
    finally:
        await down(cluster)
    print(report(load, books, monkey, max(recovery.values(), default=0.0)))
    print("longest recovery by kind of fault:")
    for name, seconds in recovery.items():
        print(f"  {name:<28} {seconds:.1f} s")
    for violation in books.violations[:20]:
        print(f"VIOLATION {violation}")
    return 1 if books.violations else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sagas", type=int, default=500)
    parser.add_argument("--rate", type=float, default=20, help="sagas started per second")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    print(f"chaos-ha: {args.sagas} sagas over {REPLICAS} replicas, seed {args.seed}", flush=True)
    cluster = Cluster(name="saga-chaos", broker_port=5711, database_port=5751, folder=FOLDER / "cluster")
    sys.exit(asyncio.run(chaos_ha(args.sagas, args.rate, args.seed, cluster, FOLDER / "logs")))


if __name__ == "__main__":
    main()
