"""The services the system runs: those its workflow definitions name, and no list besides.

A service `<name>` is the folder `<name>-service` holding the package `<name>_service`, which
declares its handlers (`handlers.HANDLERS`), its settings (`settings.Settings`) and its books
(`books.BOOKS`). Everything that runs, sets up, checks or tests the services asks here: the
launcher, the broker's users and permissions, the database roles, the namespaces, the audit, the
bench and the tests.
"""

from importlib import import_module
from typing import Any, cast

from saga_orchestrator import workflows
from shared.books import Books
from shared.settings import ProcessSettings
from shared.worker.handlers import Handler

ORCHESTRATOR = "saga-orchestrator"
ORCHESTRATOR_PACKAGE = "saga_orchestrator"


def services() -> tuple[str, ...]:
    """Every workflow's services, each once, in the order the steps first name them. Read at each
    call, so that the definitions loaded are the ones that count."""
    named = (service for workflow in workflows.WORKFLOWS.values() for service in workflow.services)
    return tuple(dict.fromkeys(named))


def folder(service: str) -> str:
    """The service's deployable folder, which is also its process's name."""
    return f"{service}-service"


def package(service: str) -> str:
    return f"{service}_service"


def workers() -> tuple[str, ...]:
    """The services' processes, by folder name."""
    return tuple(map(folder, services()))


def packages() -> tuple[str, ...]:
    """Every process's package, the orchestrator's first: one database and login role each."""
    return (ORCHESTRATOR_PACKAGE, *map(package, services()))


def handlers(service: str) -> dict[str, Handler[Any]]:
    return cast(dict[str, Handler[Any]], _module(service, "handlers").HANDLERS)


def settings_type(service: str) -> type[ProcessSettings]:
    return cast(type[ProcessSettings], _module(service, "settings").Settings)


def books(service: str) -> Books:
    return cast(Books, _module(service, "books").BOOKS)


def _module(service: str, name: str) -> Any:
    return import_module(f"{package(service)}.{name}")
