"""One log line per event, key=value fields after the message, readable in `docker compose logs`."""

import logging
import sys

FORMAT = "%(asctime)s %(levelname)-5s %(name)s %(message)s"
LIFECYCLE = "lifecycle"


def configure(process: str, level: str) -> logging.Logger:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(FORMAT))
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
