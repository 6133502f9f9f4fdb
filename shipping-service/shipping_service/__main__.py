"""Entry point: `python -m shipping_service` consumes shipping commands until SIGTERM."""

from shared.worker import run_worker
from shipping_service.handlers import HANDLERS
from shipping_service.settings import Settings


def main() -> None:
    run_worker("shipping", "shipping_service", HANDLERS, Settings())


if __name__ == "__main__":
    main()
