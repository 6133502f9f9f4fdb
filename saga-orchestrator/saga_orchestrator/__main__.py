"""Serves the orchestrator: `python -m saga_orchestrator`."""

import sys

import uvicorn

from saga_orchestrator.app import create_app
from saga_orchestrator.settings import from_environment
from saga_orchestrator.workflows.loader import InvalidWorkflow
from shared import tracing


def main() -> None:
    settings = from_environment()
    tracing.configure("saga_orchestrator")  # process-wide, so here rather than in the app
    try:
        app = create_app(settings)
    except InvalidWorkflow as exc:
        sys.exit(f"saga_orchestrator cannot start: {exc}")
    uvicorn.run(
        app,
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        log_config=None,  # uvicorn's records go through the process's one-line handler too
    )


if __name__ == "__main__":
    main()
