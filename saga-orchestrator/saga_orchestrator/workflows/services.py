"""The commands each service handles, as its handlers dict says, kept in `services.json` beside the
workflows: the orchestrator's image holds no service's code, yet must refuse a workflow whose
commands no service handles. `python -m saga_orchestrator.workflows.services` writes the file from
the handlers of every `<name>-service` folder here; a unit test fails while it is stale."""

import importlib
import json
from pathlib import Path

MANIFEST = Path(__file__).with_name("services.json")


def known() -> dict[str, frozenset[str]]:
    """Each known service's commands, from the shipped file."""
    listed: dict[str, list[str]] = json.loads(MANIFEST.read_text())
    return {service: frozenset(commands) for service, commands in listed.items()}


def from_handlers(root: Path) -> dict[str, list[str]]:
    """Each service's commands, from the handlers dict its folder's package ends with."""
    services = sorted(folder.name.removesuffix("-service") for folder in root.glob("*-service"))
    return {
        service: sorted(importlib.import_module(f"{service}_service.handlers").HANDLERS)
        for service in services
    }


def render(services: dict[str, list[str]]) -> str:
    return json.dumps(services, indent=2) + "\n"


if __name__ == "__main__":
    MANIFEST.write_text(render(from_handlers(Path.cwd())))
