"""The orchestrator's settings, from the environment."""

import os
import socket

from pydantic import Field

from saga_orchestrator.engine.definition import RetryPolicy
from shared.settings import ProcessSettings


class Settings(ProcessSettings):
    database_url: str = "postgresql://root@127.0.0.1:5432/saga_orchestrator"
    http_host: str = "0.0.0.0"
    http_port: int = 3000
    db_pool_size: int = Field(default=16, ge=1)
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
    max_waiters: int = Field(
        default=1000, ge=0, description="requests that may wait for a saga at once (`wait=`); 429 beyond"
    )
    reply_handover_seconds: float = Field(
        default=1.0, gt=0, description="a reply its replica has not taken by then goes to any replica"
    )

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            step_timeout=self.step_timeout_seconds,
            max_attempts=self.max_attempts,
            compensation_max_attempts=self.compensation_max_attempts,
            backoff_base=self.backoff_base_seconds,
            backoff_cap=self.backoff_cap_seconds,
        )
