"""One event, one log line: whatever a client put in a value cannot start another."""

import logging
import sys

import pytest

from shared.logs import FORMAT, OneLineFormatter

pytestmark = pytest.mark.unit


def _formatted(message: str, *args: object, exc_info: bool = False) -> str:
    record = logging.LogRecord("test", logging.INFO, __file__, 1, message, args, None)
    if exc_info:
        record.exc_info = sys.exc_info()
    return OneLineFormatter(FORMAT).format(record)


@pytest.mark.parametrize(
    "separator", ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
)
def test_a_value_with_a_line_break_stays_on_its_record_s_line(separator: str) -> None:
    forged = f"order-1{separator}2026-11-30 10:00:00,000 INFO  saga_orchestrator saga=x state=COMPLETED"

    line = _formatted("saga=%s started", forged)

    assert len(line.splitlines()) == 1
    assert line.endswith("state=COMPLETED started")


def test_newlines_and_nul_are_shown_escaped() -> None:
    assert _formatted("id=%s", "a\r\nb\x00c").endswith("id=a\\r\\nb\\u0000c")


def test_a_traceback_stays_with_its_record() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        line = _formatted("failed", exc_info=True)

    assert len(line.splitlines()) == 1
    assert "ValueError: boom" in line
