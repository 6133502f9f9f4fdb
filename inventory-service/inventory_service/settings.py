"""The inventory service's settings: the shared process settings, pointed at its own database."""

from inventory_service.seed import seeder
from shared.settings import ProcessSettings
from shared.worker.runtime import Setup


class Settings(ProcessSettings):
    database_url: str = "postgresql://inventory_service@127.0.0.1:5432/inventory_service"
    # The stock a fresh database starts with (env INVENTORY_SEED); existing stock is never reset.
    inventory_seed: str = "item-001=100,item-002=5,item-003=0"

    def startup(self) -> Setup:
        """The seed is parsed now, so a bad one stops the process before it consumes."""
        return seeder(self.inventory_seed)
