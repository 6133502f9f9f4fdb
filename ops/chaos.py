"""`make chaos`: a few hundred sagas, order and express orders mixed, while our processes are killed
at random moments, plus one RabbitMQ and one Postgres restart; then every invariant is checked and
one table printed.

Exits non-zero on any violation: a saga lost or stuck, an effect twice, books that do not balance.
"""

import argparse
import asyncio
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from ops import broker_access, database_access, namespace, registry, servers, traffic
from ops.audit import Audit
from ops.system import ORCHESTRATOR, System, SystemConfig, queue_prefix, service_of
from ops.traffic import Traffic, settled

NAMESPACE = "chaos_"
ENV = {
    "LOG_LEVEL": "WARNING",
    "DB_POOL_SIZE": "4",
    "STEP_TIMEOUT_SECONDS": "2",
    "MAX_ATTEMPTS": "3",
    "COMPENSATION_MAX_ATTEMPTS": "12",  # compensations outlast any outage here; none should park
    "BACKOFF_BASE_SECONDS": "0.2",
    "BACKOFF_CAP_SECONDS": "2",
    "RELAY_AFTER_SECONDS": "1",
    "INVENTORY_SEED": traffic.SEED,
}


@dataclass(frozen=True)
class Fault:
    what: str
    began: float  # wall clock, comparable with the orchestrator's timestamps
    ended: float  # when the process or server was back


@dataclass
class Monkey:
    """Kills a random process of ours every so often and restarts it a moment later."""

    system: System
    rng: random.Random
    faults: list[Fault] = field(default_factory=list)

    async def run(self, traffic: Traffic, server_restarts_at: dict[int, str]) -> None:
        pending = dict(server_restarts_at)
        while len(traffic.accepted) < traffic.count or pending:
            await asyncio.sleep(self.rng.uniform(0.1, 0.4))
            due = [at for at in pending if len(traffic.accepted) >= at]
            began = time.time()
            if due:
                what = await self._restart_server(pending.pop(due[0]))
            else:
                what = await self._kill_one()
            self.faults.append(Fault(what, began, time.time()))

    async def _kill_one(self) -> str:
        victim = self.rng.choice(sorted(self.system.processes))
        self.system.kill(victim)
        await asyncio.sleep(self.rng.uniform(0, 0.3))  # down for a random while
        await asyncio.to_thread(self.system.restart, victim)
        return f"kill {victim}"

    async def _restart_server(self, server: str) -> str:
        await (servers.restart_rabbitmq() if server == "rabbitmq" else servers.restart_postgres())
        return f"restart {server}"


async def longest_recovery(config: SystemConfig, faults: list[Fault]) -> float:
    """For each fault, from its start until every saga in flight during it had finished."""
    conn = await asyncpg.connect(config.database_url(ORCHESTRATOR))
    try:
        longest = 0.0
        for fault in faults:
            last = await conn.fetchval(
                "SELECT extract(epoch FROM max(finished_at)) FROM sagas"
                " WHERE created_at <= to_timestamp($2) AND finished_at >= to_timestamp($1)",
                fault.began,
                fault.ended,
            )
            longest = max(longest, float(last) - fault.began if last is not None else 0.0)
        return longest
    finally:
        await conn.close()


def report(traffic: Traffic, books: Audit, monkey: Monkey, recovery: float) -> str:
    kinds = Counter(service_of(fault.what) for fault in monkey.faults)
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(books.statuses.items()))
    workflows = ", ".join(f"{name} {n}" for name, n in sorted(traffic.workflows.items()))
    rows = [
        ("sagas started", f"{len(traffic.accepted)}  ({workflows})"),
        ("terminal", f"{books.terminal}  ({statuses})"),
        ("lost", f"{len(books.lost)}"),
        ("stuck", f"{len(books.stuck)}"),
        ("double effects", f"{len(books.double_effects)}"),
        ("imbalances", f"{len(books.imbalances)}"),
        ("broken histories", f"{len(books.broken_histories)}"),
        ("kills made", f"{sum(n for k, n in kinds.items() if k.startswith('kill'))}"),
        ("server restarts", ", ".join(k.split()[1] for k in kinds if k.startswith("restart")) or "none"),
        ("longest recovery", f"{recovery:.1f} s"),
    ]
    detail = "\n".join(f"  {k:<28} {n}" for k, n in sorted(kinds.items()))
    table = "\n".join(f"{name:<18} {value}" for name, value in rows)
    return f"{table}\nfaults:\n{detail}"


async def chaos(sagas: int, rate: float, seed: int) -> int:
    broker = await broker_access.set_up_local(registry.services(), "saga-chaos", queue_prefix(NAMESPACE))
    config = SystemConfig(
        namespace=NAMESPACE, orchestrators=2, log_dir=Path(".run/chaos"), env=ENV, broker=broker
    )
    can_restart = servers.restartable(config.postgres_url, config.amqp_url)
    await namespace.remove(config)
    await namespace.create(config)
    system = System(config)
    try:
        await database_access.set_up(config.postgres_url, config.database_logins())
        system.start_all()
        load = Traffic(
            [system.url(s) for s in config.services if ORCHESTRATOR in s],
            count=sagas,
            concurrency=8,
            rate=rate,
            express_every=traffic.EXPRESS_EVERY,
        )
        monkey = Monkey(system, random.Random(seed))
        restarts = {sagas // 3: "rabbitmq", 2 * sagas // 3: "postgres"} if can_restart else {}
        await asyncio.gather(load.run(), monkey.run(load, restarts))
        books = await settled(system, load, timeout=180)
        recovery = await longest_recovery(config, monkey.faults)
    finally:
        system.stop_all()
    print(report(load, books, monkey, recovery))
    for violation in books.violations[:20]:
        print(f"VIOLATION {violation}")
    return 1 if books.violations else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sagas", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20, help="sagas started per second")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    print(f"chaos: {args.sagas} sagas, seed {args.seed}", flush=True)
    sys.exit(asyncio.run(chaos(args.sagas, args.rate, args.seed)))


if __name__ == "__main__":
    main()
