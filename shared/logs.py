"""One log line per event: key=value fields after the message, readable in `docker compose logs`, or
with LOG_FORMAT=json one JSON object a line, for a log store to index."""

import logging
import re
import sys
from typing import Any, Literal

from shared.json_logs import JsonFormatter

FORMAT = "%(asctime)s %(levelname)-5s %(name)s %(message)s"
LIFECYCLE = "lifecycle"

# Characters that end a line, or could pass for an end of line in a terminal or a log viewer.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or f"\\u{ord(char):04x}"


class OneLineFormatter(logging.Formatter):
    """One record, one line: a value a client sent (an id with a CR/LF in it) cannot forge another
    line, and a traceback stays with its record."""

    def format(self, record: logging.LogRecord) -> str:
        return _CONTROL.sub(_escaped, super().format(record))


def configure(process: str, level: str, format: Literal["human", "json"] = "human") -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    service = process.replace("_", "-")
    handler.setFormatter(JsonFormatter(service) if format == "json" else OneLineFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger(LIFECYCLE).setLevel(logging.INFO)
    return logging.getLogger(process)


def lifecycle(process: str) -> logging.Logger:
    """Start and stop lines, written at any log level: tools wait for the "ready" line."""
    return logging.getLogger(f"{LIFECYCLE}.{process}")


def fields(saga_id: object, step: str | None = None, **key: object) -> dict[str, Any]:
    """A record's saga, step and, named as its workflow names it (`orderId=...`), its key: `extra`
    for a log call, which the JSON lines carry as fields and the human lines leave to the message."""
    return {"saga_fields": {"sagaId": str(saga_id), "step": step, **key}}
