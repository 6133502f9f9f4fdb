"""Serves the orchestrator: `python -m saga_orchestrator`."""

import uvicorn

from saga_orchestrator.app import create_app
from saga_orchestrator.settings import from_environment
from shared import tracing


def main() -> None:
    settings = from_environment()
    tracing.configure("saga_orchestrator")  # process-wide, so here rather than in the app
    uvicorn.run(
        create_app(settings),
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
