"""The sagas this replica wrote last, so a reply usually needs no read before the write.

Only a hint: every write names the version it decided on, so a stale entry (another replica
wrote since) costs one refused write and a reload, never a wrong decision.
"""

from collections import OrderedDict
from uuid import UUID

from saga_orchestrator.engine.state import Phase
from saga_orchestrator.persistence.sagas import StoredSaga

CAPACITY = 20_000


class RecentSagas:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._sagas: OrderedDict[UUID, StoredSaga] = OrderedDict()

    def get(self, saga_id: UUID) -> StoredSaga | None:
        return self._sagas.get(saga_id)

    def remember(self, stored: StoredSaga) -> None:
        saga_id = stored.saga.saga_id
        if stored.saga.phase is Phase.DONE:
            self._sagas.pop(saga_id, None)  # nothing more will happen to it
            return
        self._sagas[saga_id] = stored
        self._sagas.move_to_end(saga_id)
        if len(self._sagas) > self._capacity:
            self._sagas.popitem(last=False)

    def forget(self, saga_id: UUID) -> None:
        self._sagas.pop(saga_id, None)
