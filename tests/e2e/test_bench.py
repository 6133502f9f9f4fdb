"""`make bench` end to end, made small: its own systems of one and two replicas, the ceiling, the main
workload and the sweep, read back from what it prints and what it writes; and a workflow shipped for
the bench alone, run by the bench's own system and audited against its stored definition."""

import json
from pathlib import Path

import asyncpg
import pytest

from ops.bench.options import Options
from ops.bench.session import bench
from ops.broker_access import BrokerAccess
from tests.infrastructure import Infrastructure

pytestmark = pytest.mark.e2e

SAGAS = 40  # every tenth fails at shipping: 36 complete, 4 fail
SWEEP = {1: 6, 8: 24}  # sagas at each point of the sweep


async def test_a_small_bench_measures_both_systems_balances_their_books_and_cleans_up(
    infra: Infrastructure,
    broker: BrokerAccess,
    run_id: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace = f"{run_id}_bench_"
    out = tmp_path / "results"
    options = Options(
        sagas=SAGAS,
        concurrency=8,
        orchestrators=(1, 2),
        namespace=namespace,
        sweep_points=tuple(SWEEP),
        sweep_sagas=SWEEP[8],
        sweep_sagas_serial=SWEEP[1],
        warmup=8,
        ceiling_seconds=0.3,
        postgres_url=infra.postgres_url,
        amqp_url=infra.amqp_url,
        broker=broker,
        out_dir=out,
        log_dir=tmp_path / "logs",
    )

    await bench(options)

    printed = capsys.readouterr().out
    assert printed.count("balanced: 36 COMPLETED, 4 FAILED; stock taken 36") == 2
    for row in ("saga-orchestrator-2", "order-service", "postgres", "rabbitmq", "load generator"):
        assert f"\n{row}" in printed
    assert "ceiling: postgres" in printed and "share of the ceiling" in printed
    results = json.loads((out / "results.json").read_bytes())
    assert results["ceiling"]["pg_commits_per_s"] > 0 and results["ceiling"]["mq_published_per_s"] > 0
    measured = [(r["role"], r["orchestrators"], r["concurrency"], r["sagas"]) for r in results["runs"]]
    sweep = [("sweep", replicas, c, n) for replicas in (1, 2) for c, n in SWEEP.items()]
    assert sorted(measured) == sorted([("main", 1, 8, SAGAS), ("main", 2, 8, SAGAS), *sweep])
    assert all(run["balanced"] and not run["problems"] for run in results["runs"])
    assert all(run["write_transactions_per_saga"] > 0 for run in results["runs"])
    assert (out / "throughput-latency.png").read_bytes().startswith(b"\x89PNG")
    for replicas in (1, 2):  # measured with a client's key, as a deployment would be used
        log = (tmp_path / "logs" / f"logs-{replicas}" / "saga-orchestrator.log").read_text()
        assert "(API keys: 1)" in log
    assert await _databases_and_roles_named(infra.postgres_url, namespace) == []


async def test_a_bench_of_the_sequential_express_order_runs_it_and_balances_its_books(
    infra: Infrastructure,
    broker: BrokerAccess,
    run_id: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace = f"{run_id}_benchx_"
    options = Options(
        workflow="express_sequential",
        sagas=SAGAS,
        concurrency=4,
        namespace=namespace,
        sweep=False,
        warmup=0,
        ceiling_seconds=0,
        postgres_url=infra.postgres_url,
        amqp_url=infra.amqp_url,
        broker=broker,
        out_dir=tmp_path / "results",
        log_dir=tmp_path / "logs",
    )

    await bench(options)

    printed = capsys.readouterr().out
    assert f"{SAGAS} express_sequential sagas (36 complete, 4 fail at shipping" in printed
    assert "balanced: 36 COMPLETED, 4 FAILED; stock taken 36" in printed
    # Five commands a saga that completes, seven one refused at shipping: 1 + 2 x 5.2 commits alone.
    assert "(commits shared by batches; 11.4 if each served one saga)" in printed
    assert "\nnotification-service" in printed
    assert not (tmp_path / "results").exists()  # the published sweep is left alone
    assert await _databases_and_roles_named(infra.postgres_url, namespace) == []


async def _databases_and_roles_named(postgres_url: str, prefix: str) -> list[str]:
    conn = await asyncpg.connect(postgres_url)
    try:
        rows = await conn.fetch(
            "SELECT name FROM (SELECT datname AS name FROM pg_database"
            " UNION ALL SELECT rolname FROM pg_roles) AS names WHERE starts_with(name, $1)",
            prefix,
        )
        return [row["name"] for row in rows]
    finally:
        await conn.close()
