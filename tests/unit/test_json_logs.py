"""LOG_FORMAT=json: one object a line, with the fields a log store indexes, and no forged lines."""

import json
import logging
import sys
from typing import Any

import pytest

from shared import logs
from shared.json_logs import JsonFormatter

pytestmark = pytest.mark.unit


def _line(message: str, *args: object, exc_info: bool = False, **extra: Any) -> str:
    record = logging.LogRecord("saga_orchestrator", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    if exc_info:
        record.exc_info = sys.exc_info()
    return JsonFormatter("saga-orchestrator").format(record)


def test_a_saga_s_line_names_its_saga_key_step_service_level_and_an_empty_trace() -> None:
    extra = logs.fields("6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f001", "createOrder", orderId="order-1")

    line = json.loads(_line("saga=%s sent", "x", **extra))

    assert line["sagaId"] == "6f1c1b8e-8a4e-4c36-9d0b-2a4cf8a1f001"
    assert (line["orderId"], line["step"]) == ("order-1", "createOrder")
    assert (line["service"], line["level"], line["message"]) == (
        "saga-orchestrator",
        "WARNING",
        "saga=x sent",
    )
    assert line["traceId"] == ""


def test_a_line_about_no_saga_still_has_every_field() -> None:
    line = json.loads(_line("ready"))

    assert {"time", "level", "service", "message", "sagaId", "step", "traceId"} <= line.keys()
    assert line["sagaId"] is None


@pytest.mark.parametrize("separator", ["\n", "\r\n", "\x0b", "\x1c", "\x85", "\u2028", "\u2029", "\x00"])
def test_a_value_with_a_line_break_stays_inside_its_object(separator: str) -> None:
    forged = f'order-1{separator}{{"level": "INFO", "message": "forged"}}'

    text = _line("saga=%s", forged, **logs.fields("s", "createOrder", orderId=forged))

    assert len(text.splitlines()) == 1
    assert json.loads(text)["orderId"] == forged


def test_a_traceback_stays_with_its_record() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        text = _line("failed", exc_info=True)

    assert len(text.splitlines()) == 1
    assert "ValueError: boom" in json.loads(text)["exception"]


def test_configure_picks_the_format(capsys: pytest.CaptureFixture[str]) -> None:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        logs.configure("order_service", "INFO", "json").info("hello", extra=logs.fields("s", "x"))
        logs.configure("order_service", "INFO").info("hello")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    json_line, human_line = capsys.readouterr().out.splitlines()
    assert json.loads(json_line)["service"] == "order-service"
    assert human_line.endswith("INFO  order_service hello")
