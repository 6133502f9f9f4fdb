"""`make run`'s launcher over a system a test prepared in its own namespace, where `make run` sets
up the machine's own: `python -m tests.supervised`, the system's config as JSON in SUPERVISED_SYSTEM."""

import dataclasses
import json
import os
from pathlib import Path

from ops import run
from ops.broker_access import BrokerAccess
from ops.system import System, SystemConfig

VARIABLE = "SUPERVISED_SYSTEM"


def encode(config: SystemConfig) -> str:
    return json.dumps(dataclasses.asdict(config), default=str)


def decode(text: str) -> SystemConfig:
    fields = json.loads(text)
    paths = {name: Path(fields[name]) for name in ("log_dir", "database_passwords")}
    return SystemConfig(**{**fields, **paths, "broker": BrokerAccess(**fields["broker"])})


def main() -> None:
    # Taken out of the environment, which the processes inherit: it holds every process's secrets.
    config = decode(os.environ.pop(VARIABLE))
    run.serve(System(config))


if __name__ == "__main__":
    main()
