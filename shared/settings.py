"""Settings every process shares, read from the environment with defaults that work on a local machine."""

from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from shared.worker.runtime import Setup


class ProcessSettings(BaseSettings):
    """Connection settings of one process; each service subclasses it to name its own database."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    database_url: str = "postgresql://root@127.0.0.1:5432/saga"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    queue_prefix: str = Field(default="", description="namespaces every queue, for test isolation")
    prefetch: int = Field(default=64, ge=1)
    db_pool_size: int = Field(default=8, ge=1)
    log_level: str = "INFO"
    log_format: Literal["human", "json"] = Field(default="human", description="json: one object a line")
    metrics_host: str = Field(default="127.0.0.1", description="a worker's /metrics listener's address")
    metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="a worker serves /metrics on it; unset, it serves none"
    )

    def startup(self) -> "Setup | None":
        """What the worker does once its pool is open, before it consumes: nothing, unless the
        service says otherwise; its process and the tests both start it through here."""
        return None
