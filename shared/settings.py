"""Settings every process shares, read from the environment with defaults that work on a local machine."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class FaultSettings(BaseSettings):
    """Faults a test can switch on in a running process; all off by default."""

    model_config = SettingsConfigDict(env_prefix="FAULT_", frozen=True, extra="ignore")

    duplicate_publishes: bool = False
    fail_commands: str = Field(default="", description="comma-separated commands that always fail")
    drop_commands: str = Field(default="", description="comma-separated commands never answered")

    def fails(self, command: str) -> bool:
        return command in _names(self.fail_commands)

    def drops(self, command: str) -> bool:
        return command in _names(self.drop_commands)


def _names(csv: str) -> frozenset[str]:
    return frozenset(name.strip() for name in csv.split(",") if name.strip())


class ProcessSettings(BaseSettings):
    """Connection settings of one process; each service subclasses it to name its own database."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore")

    database_url: str = "postgresql://root@127.0.0.1:5432/saga"
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    queue_prefix: str = Field(default="", description="namespaces every queue, for test isolation")
    prefetch: int = Field(default=64, ge=1)
    db_pool_size: int = Field(default=8, ge=1)
    log_level: str = "INFO"
    faults: FaultSettings = Field(default_factory=FaultSettings)
