"""Serves the orchestrator: `python -m saga_orchestrator`."""

import uvicorn

from saga_orchestrator.app import create_app
from saga_orchestrator.settings import from_environment


def main() -> None:
    settings = from_environment()
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
