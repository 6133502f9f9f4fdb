"""Entry point: `python -m notification_service` consumes notification commands until SIGTERM."""

from notification_service.handlers import HANDLERS
from notification_service.settings import Settings
from shared.worker import run_worker


def main() -> None:
    run_worker("notification", "notification_service", HANDLERS, Settings())


if __name__ == "__main__":
    main()
