"""Entry point: `python -m order_service` consumes order commands until SIGTERM."""

from order_service.handlers import HANDLERS
from order_service.settings import Settings
from shared.worker import run_worker


def main() -> None:
    run_worker("order", "order_service", HANDLERS, Settings())


if __name__ == "__main__":
    main()
