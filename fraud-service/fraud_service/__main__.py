"""Entry point: `python -m fraud_service` consumes fraud commands until SIGTERM."""

from fraud_service.handlers import HANDLERS
from fraud_service.settings import Settings
from shared.worker import run_worker


def main() -> None:
    run_worker("fraud", "fraud_service", HANDLERS, Settings())


if __name__ == "__main__":
    main()
