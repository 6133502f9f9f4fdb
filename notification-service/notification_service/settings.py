"""The notification service's settings: the shared process settings, pointed at its own database."""

from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    database_url: str = "postgresql://notification_service@127.0.0.1:5432/notification_service"
