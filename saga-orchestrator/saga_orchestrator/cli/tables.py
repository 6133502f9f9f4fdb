"""Plain-text tables and durations for the terminal: no colours, stable for scripts and tests."""

import re
from collections.abc import Sequence
from datetime import datetime

import typer

CELL_WIDTH = 60

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd]?)")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds(text: str) -> float:
    """`30s`, `5m`, `2h`, `1d` or plain seconds; a usage error otherwise."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or float(match[1]) <= 0:
        raise typer.BadParameter(f"{text!r} is not a duration such as 30s, 5m or 2h")
    return float(match[1]) * _SECONDS[match[2]]


def cell(value: object) -> str:
    text = "-" if value is None or value == "" else str(value).replace("\n", " ")
    return text if len(text) <= CELL_WIDTH else text[: CELL_WIDTH - 1] + "…"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(headers), *([cell(value) for value in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def when(iso: str | None) -> str:
    """A timestamp to the millisecond, in the server's zone (UTC)."""
    return "-" if iso is None else datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def elapsed(start: str, end: str) -> str:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return f"{delta.total_seconds() * 1000:.0f} ms"
