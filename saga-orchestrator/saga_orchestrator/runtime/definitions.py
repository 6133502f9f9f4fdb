"""The definitions a replica runs sagas on: those of its files, and the versions no longer deployed
that running sagas are pinned to, read from the database when first met and kept."""

import asyncpg

from saga_orchestrator.persistence import definitions as stored
from saga_orchestrator.workflows.loader import Definition

Version = tuple[str, int]  # (workflow, version)


class UnknownDefinition(LookupError):
    pass


class Definitions:
    def __init__(self, pool: asyncpg.Pool, current: dict[str, Definition]) -> None:
        self._pool = pool
        self.current = current  # by name: the version new sagas start on
        self._versions: dict[Version, Definition] = {
            (d.workflow.name, d.workflow.version): d for d in current.values()
        }

    async def load_stored(self) -> None:
        """Adds every version stored, for the sagas pinned to one no longer deployed."""
        for definition in await stored.load_all(self._pool):
            self._versions.setdefault((definition.workflow.name, definition.workflow.version), definition)

    def all(self) -> list[Definition]:
        return list(self._versions.values())

    async def find(self, version: Version) -> Definition:
        """The definition of this version; read from the database the first time it is asked for."""
        found = self._versions.get(version)
        if found is None:
            found = await stored.load(self._pool, *version)
            if found is None:
                raise UnknownDefinition(f"no definition of workflow {version[0]!r} version {version[1]}")
            self._versions[version] = found
        return found
