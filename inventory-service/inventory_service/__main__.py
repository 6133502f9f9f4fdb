"""Entry point: `python -m inventory_service` seeds the stock, then consumes inventory commands."""

from inventory_service.handlers import HANDLERS
from inventory_service.settings import Settings
from shared.worker import run_worker


def main() -> None:
    settings = Settings()
    run_worker("inventory", "inventory_service", HANDLERS, settings, setup=settings.startup())


if __name__ == "__main__":
    main()
