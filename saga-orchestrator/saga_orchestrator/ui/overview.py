"""The overview's table: one row a minute, oldest first, with the starts and each outcome."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from saga_orchestrator.engine.definition import COMPENSATION_FAILED, COMPLETION_FAILED, TERMINAL
from saga_orchestrator.persistence.saga_list import Recent

OUTCOMES = (*sorted(TERMINAL), COMPENSATION_FAILED, COMPLETION_FAILED)


@dataclass(frozen=True)
class Minute:
    at: datetime
    starts: int
    outcomes: dict[str, int]


def minutes(recent: Recent, window: int, now: datetime | None = None) -> list[Minute]:
    """Every minute of the window, those with nothing in them too, so that a gap shows as one."""
    last = (now or datetime.now(UTC)).replace(second=0, microsecond=0)
    return [
        Minute(
            at=at,
            starts=recent.starts.get(at, 0),
            outcomes={status: recent.outcomes.get((at, status), 0) for status in OUTCOMES},
        )
        for at in (last - timedelta(minutes=m) for m in range(window - 1, -1, -1))
    ]
