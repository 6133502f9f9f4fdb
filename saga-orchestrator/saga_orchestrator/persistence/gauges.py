"""What the database says of all replicas' sagas at once: those in flight, and the outbox's backlog."""

from dataclasses import dataclass

import asyncpg

# Through the indexes a scrape can afford at a million sagas: the running sagas' partial index, and
# the phase index for the parked ones (in COMPENSATION_FAILED or COMPLETION_FAILED).
IN_FLIGHT = """
SELECT workflow, phase, count(*) AS sagas FROM sagas WHERE phase IN ('FORWARD', 'COMPENSATING')
GROUP BY 1, 2
UNION ALL
SELECT workflow, phase, count(*) FROM sagas WHERE phase = 'PARKED' GROUP BY 1, 2
"""

OUTBOX = """
SELECT count(*) AS pending, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest
FROM outbox
"""


@dataclass(frozen=True)
class Backlog:
    in_flight: dict[tuple[str, str], int]  # by workflow and phase
    outbox_pending: int
    outbox_oldest_age_seconds: float


async def read(pool: asyncpg.Pool) -> Backlog:
    async with pool.acquire() as conn:
        in_flight = await conn.fetch(IN_FLIGHT)
        outbox = await conn.fetchrow(OUTBOX)
    counts: dict[tuple[str, str], int] = {}
    for row in in_flight:
        counts[row["workflow"], row["phase"]] = counts.get((row["workflow"], row["phase"]), 0) + row["sagas"]
    return Backlog(counts, outbox["pending"], float(outbox["oldest"]))
