"""`make run`: starts the five services on this machine and follows their logs until Ctrl-C."""

import argparse
import sys
import time
from pathlib import Path

from ops.system import System, SystemConfig


def follow(paths: list[Path]) -> None:
    """Prints every log's lines as they come, prefixed by its service, like `docker compose logs -f`."""
    offsets = dict.fromkeys(paths, 0)
    while True:
        for path in paths:
            if not path.exists():
                continue
            with path.open("rb") as log:
                log.seek(offsets[path])
                chunk = log.read()
            offsets[path] += len(chunk)
            for line in chunk.decode(errors="replace").splitlines():
                sys.stdout.write(f"{path.stem:<19}| {line}\n")
        sys.stdout.flush()
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orchestrators", type=int, default=1, help="orchestrator replicas")
    args = parser.parse_args()
    system = System(SystemConfig(orchestrators=args.orchestrators))
    for service in system.config.services:
        system.log_path(service).unlink(missing_ok=True)
    try:
        system.start_all()
        urls = ", ".join(system.url(s) for s in system.config.services if "orchestrator" in s)
        print(f"ready: orchestrator at {urls}; logs in {system.config.log_dir}/", flush=True)
        follow([system.log_path(s) for s in system.config.services])
    except KeyboardInterrupt:
        pass
    finally:
        system.stop_all()


if __name__ == "__main__":
    main()
