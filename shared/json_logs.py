"""LOG_FORMAT=json: one JSON object a line, with the saga, its key, step, service, trace and level."""

import importlib
import json
import logging
from datetime import UTC, datetime
from typing import Any


def _trace_api() -> Any:
    """OpenTelemetry's API where it is installed; with no tracer set up its spans carry no trace id."""
    try:
        return importlib.import_module("opentelemetry.trace")
    except ImportError:
        return None


_TRACE = _trace_api()


def trace_id() -> str:
    """The current span's trace id in hex; empty when tracing is off."""
    if _TRACE is None:
        return ""
    context = _TRACE.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.trace_id else ""


class JsonFormatter(logging.Formatter):
    """Every line has `sagaId`, `step`, `service`, `traceId` and `level`; a record about a saga also
    has its key under the workflow's name for it (`orderId`). JSON escapes every control character
    and line separator, so a value a client sent cannot start another line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        saga: dict[str, Any] = getattr(record, "saga_fields", {})
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
            "sagaId": None,
            "step": None,
            **saga,
            "traceId": trace_id(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
