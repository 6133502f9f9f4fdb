"""The orchestrator's settings, from the environment."""

import os
import socket
import sys
from pathlib import Path
from typing import Self

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_settings import SettingsConfigDict

from saga_orchestrator.api.keys import ApiKeys, entries, is_loopback
from saga_orchestrator.engine.definition import RetryPolicy
from saga_orchestrator.workflows import BUNDLED
from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    # An error names the setting and the problem, never the value: it may hold a key.
    model_config = SettingsConfigDict(hide_input_in_errors=True)

    database_url: str = "postgresql://saga_orchestrator@127.0.0.1:5432/saga_orchestrator"
    http_host: str = Field(default="127.0.0.1", description="any other address requires API keys")
    http_port: int = 3000
    db_pool_size: int = Field(default=16, ge=1)
    workflows_dir: Path = Field(default=BUNDLED, description="the folder of the workflow files (*.yaml)")
    step_timeout_seconds: float = Field(default=5.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    compensation_max_attempts: int = Field(default=5, ge=1)
    backoff_base_seconds: float = Field(default=0.5, gt=0)
    backoff_cap_seconds: float = Field(default=30.0, gt=0)
    wake_interval_seconds: float = Field(default=0.2, gt=0, description="deadline scan period")
    relay_after_seconds: float = Field(
        default=2.0, gt=0, description="age at which an unpublished outbox row is relayed"
    )
    replica: str = Field(
        default_factory=lambda: f"{socket.gethostname()}.{os.getpid()}",
        pattern=r"^[\w.-]+$",
        description="names this replica's own reply queue; unique among the running replicas",
    )
    correlation_secret: SecretStr = Field(
        default=SecretStr(""),
        description="signs each command's correlation id; the same for every replica, required to start",
    )
    max_waiters: int = Field(
        default=1000, ge=0, description="requests that may wait for a saga at once (`wait=`); 429 beyond"
    )
    reply_handover_seconds: float = Field(
        default=1.0, gt=0, description="a reply its replica has not taken by then goes to any replica"
    )
    api_keys: SecretStr = Field(default=SecretStr(""), description="comma-separated name:role:key")
    api_keys_file: Path | None = Field(default=None, description="one name:role:key a line")
    _keys: ApiKeys = PrivateAttr(default_factory=ApiKeys)

    @model_validator(mode="after")
    def _open_only_on_loopback(self) -> Self:
        self._keys = ApiKeys.parse(entries(self.api_keys.get_secret_value(), self.api_keys_file))
        if not self._keys and not is_loopback(self.http_host):
            raise ValueError(
                f"no API keys are configured, so anyone who can reach {self.http_host} could use the API:"
                " set API_KEYS or API_KEYS_FILE, or listen on loopback only (HTTP_HOST=127.0.0.1)"
            )
        return self

    @property
    def keys(self) -> ApiKeys:
        """The configured API keys; none leaves the API open, which only loopback allows."""
        return self._keys

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            step_timeout=self.step_timeout_seconds,
            max_attempts=self.max_attempts,
            compensation_max_attempts=self.compensation_max_attempts,
            backoff_base=self.backoff_base_seconds,
            backoff_cap=self.backoff_cap_seconds,
        )


def from_environment() -> Settings:
    """The settings, or an exit that names each problem (never a value: it may hold a key)."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(_problem(error["loc"], error["msg"]) for error in exc.errors())
        sys.exit(f"saga_orchestrator cannot start: {problems}")


def _problem(where: tuple[int | str, ...], message: str) -> str:
    message = message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, where)).upper()}: {message}" if where else message
