"""Serves the orchestrator: `python -m saga_orchestrator`."""

import sys

import uvicorn
from pydantic import ValidationError

from saga_orchestrator.app import create_app
from saga_orchestrator.settings import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        sys.exit(f"saga_orchestrator cannot start: {problems}")
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


def _problem(where: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, where)).upper()}: {message}" if where else message


if __name__ == "__main__":
    main()
