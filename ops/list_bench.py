"""`python -m ops.list_bench`: the dashboard's saga list against a million sagas. Fills a scratch
database (created here, dropped at the end), then times the first page, filtered pages, the counts
per status and the overview, each many times over; prints p50 and p99 in milliseconds.

A benchmark, not a test: its figures depend on the machine and what else runs on it.
"""

import argparse
import asyncio
import secrets
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from ops import database_access
from ops.database_access import Login
from ops.system import SystemConfig
from saga_orchestrator.persistence import saga_list
from saga_orchestrator.persistence.saga_list import Filters
from shared import database
from shared.database import with_database

PAGE = 50
NOW = datetime.now(UTC)

# A week of sagas, one every 0.6 s: 1 in 50 failed, 1 in 500 parked, 1 in 1000 still running,
# most of the rest completed; a second workflow has one saga in ten.
FILL = """
INSERT INTO sagas (saga_id, workflow, saga_key, input, status, phase, progress, version, created_at,
                   updated_at, finished_at)
SELECT gen_random_uuid(), CASE WHEN n % 10 = 0 THEN 'refund' ELSE 'order' END,
       'order-' || lpad(n::text, 8, '0'), '{"quantity": 1}',
       CASE WHEN n % 1000 = 0 THEN 'PAYMENT_PROCESSED' WHEN n % 500 = 0 THEN 'COMPENSATION_FAILED'
            WHEN n % 50 = 0 THEN 'FAILED' ELSE 'COMPLETED' END,
       CASE WHEN n % 1000 = 0 THEN 'FORWARD' WHEN n % 500 = 0 THEN 'PARKED' ELSE 'DONE' END,
       'S', 1, at, at + interval '1 second',
       CASE WHEN n % 500 = 0 THEN NULL ELSE at + interval '1 second' END
FROM generate_series(1, $1) AS n, LATERAL (SELECT $2::timestamptz - make_interval(secs => n * 0.6) AS at) t
"""


def _cases(pool: asyncpg.Pool) -> dict[str, Callable[[], Awaitable[object]]]:
    week_ago = NOW - timedelta(days=3)
    return {
        "first page": lambda: saga_list.page(pool, Filters(), PAGE),
        "status FAILED": lambda: saga_list.page(pool, Filters(status="FAILED"), PAGE),
        "phase PARKED": lambda: saga_list.page(pool, Filters(phase="PARKED"), PAGE),
        "stuck > 60 s": lambda: saga_list.page(pool, Filters(stuck_seconds=60.0), PAGE),
        "workflow refund": lambda: saga_list.page(pool, Filters(workflow="refund"), PAGE),
        "one order's key": lambda: saga_list.page(pool, Filters(key="order-00123456"), PAGE),
        "key prefix (10,000)": lambda: saga_list.page(pool, Filters(key="order-0012"), PAGE),
        "time range + status": lambda: saga_list.page(
            pool, Filters(status="FAILED", until=week_ago, since=week_ago - timedelta(days=1)), PAGE
        ),
        "counts per status": lambda: saga_list.counts(pool),
        "overview (15 min)": lambda: saga_list.recent(pool, 15),
    }


async def _time(run: Callable[[], Awaitable[object]], rounds: int) -> tuple[float, float]:
    await run()  # warm the cache and the statement
    took = []
    for _ in range(rounds):
        start = time.perf_counter()
        await run()
        took.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(took, n=100)
    return cuts[49], cuts[98]


async def bench(sagas: int, rounds: int) -> None:
    owner_url = SystemConfig().postgres_url
    login = Login("saga_orchestrator", f"list_bench_{secrets.token_hex(4)}", secrets.token_urlsafe(16))
    try:
        await database_access.set_up(owner_url, [login])
        url = database_access.login_url(owner_url, login.role, login.password)
        pool = await database.open_pool(url, 2)
        start = time.perf_counter()
        await pool.execute(FILL, sagas, NOW)
        # As the tables' owner: the runtime role may not analyze them (autovacuum would, later).
        owner = await asyncpg.connect(with_database(owner_url, login.role))
        await owner.execute("ANALYZE sagas")
        await owner.close()
        print(f"{sagas:,} sagas stored in {time.perf_counter() - start:.0f} s; {rounds} rounds each")
        print(f"{'query':<22}{'p50 ms':>9}{'p99 ms':>9}")
        for name, run in _cases(pool).items():
            p50, p99 = await _time(run, rounds)
            print(f"{name:<22}{p50:>9.2f}{p99:>9.2f}", flush=True)
        await pool.close()
    finally:
        await database_access.tear_down(owner_url, [login.role])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sagas", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(bench(args.sagas, args.rounds))


if __name__ == "__main__":
    main()
