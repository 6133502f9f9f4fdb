"""Entry point: `python -m payment_service` consumes payment commands until SIGTERM."""

from payment_service.handlers import HANDLERS
from payment_service.settings import Settings
from shared.worker import run_worker


def main() -> None:
    run_worker("payment", "payment_service", HANDLERS, Settings())


if __name__ == "__main__":
    main()
