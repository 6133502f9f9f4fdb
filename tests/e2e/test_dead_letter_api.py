"""The dead letters' routes: only operators list, read, redrive or discard them; each letter is
dealt with once, and the API says who did it."""

from typing import Any

import httpx
import pytest

from shared.topology import command_queue, reply_queue
from tests.dead_letters import poison
from tests.e2e.conftest import Operated
from tests.harness import SagaApi
from tests.polling import eventually

pytestmark = pytest.mark.e2e

ROUTES = [
    ("GET", "/dead-letters"),
    ("GET", "/dead-letters/1"),
    ("POST", "/dead-letters/1/redrive"),
    ("POST", "/dead-letters/1/discard"),
]


async def stored(api: SagaApi, marker: str) -> dict[str, Any]:
    """The open dead letter whose payload carries `marker`, once the orchestrator has stored it."""

    async def find() -> list[dict[str, Any]]:
        response = await api.http.get("/dead-letters", params={"limit": 1000, "state": "OPEN"})
        response.raise_for_status()
        return [d for d in response.json()["deadLetters"] if marker in d["preview"]]

    [letter] = await eventually(find, bool)
    return letter


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_only_an_operator_may_see_or_touch_dead_letters(
    operated: Operated, method: str, path: str
) -> None:
    url = operated.system.url()
    async with httpx.AsyncClient(base_url=url) as anyone:
        assert (await anyone.request(method, path)).status_code == 401
    async with SagaApi(url, operated.client_key) as client:
        assert (await client.http.request(method, path)).status_code == 403


async def test_a_poison_command_is_listed_read_and_discarded_once(operated: Operated) -> None:
    queue = command_queue("payment", operated.system.config.queue_prefix)
    marker = await poison(operated.system, queue)
    async with SagaApi(operated.system.url(), operated.operator_key) as api:
        letter = await stored(api, marker)
        assert letter["sourceQueue"] == queue and "Invalid JSON" in letter["reason"]

        shown = (await api.http.get(f"/dead-letters/{letter['id']}")).json()
        assert shown["payload"] == f"not json {marker}"
        assert shown["headers"]["x-original-queue"] == queue and shown["actions"] == []

        discarded = await api.http.post(f"/dead-letters/{letter['id']}/discard")
        assert discarded.status_code == 200
        assert discarded.json()["state"] == "DISCARDED"
        [action] = discarded.json()["actions"]
        assert (action["action"], action["actor"]) == ("DISCARDED", "ops")
        assert (await api.http.post(f"/dead-letters/{letter['id']}/discard")).status_code == 409
        assert (await api.http.post(f"/dead-letters/{letter['id']}/redrive")).status_code == 409


async def test_a_dead_reply_is_not_redriven(operated: Operated) -> None:
    """A reply must come from its service: sent again by the orchestrator, it would be refused."""
    marker = await poison(operated.system, reply_queue(operated.system.config.queue_prefix), sender="order")
    async with SagaApi(operated.system.url(), operated.operator_key) as api:
        letter = await stored(api, marker)
        refused = await api.http.post(f"/dead-letters/{letter['id']}/redrive")
        assert refused.status_code == 409 and "not a command queue" in refused.json()["detail"]
        assert (await api.http.get(f"/dead-letters/{letter['id']}")).json()["state"] == "OPEN"


async def test_an_unknown_letter_is_not_found(operated: Operated) -> None:
    async with SagaApi(operated.system.url(), operated.operator_key) as api:
        for method, path in ROUTES[1:]:
            unknown = path.replace("/1", f"/{2**62}")
            assert (await api.http.request(method, unknown)).status_code == 404


async def test_the_list_pages_from_newest_to_oldest(operated: Operated) -> None:
    queue = command_queue("order", operated.system.config.queue_prefix)
    markers = [await poison(operated.system, queue) for _ in range(3)]
    async with SagaApi(operated.system.url(), operated.operator_key) as api:
        ids = [(await stored(api, marker))["id"] for marker in markers]
        seen: list[int] = []
        before = max(ids) + 1
        while len(seen) < 3:
            page = (await api.http.get("/dead-letters", params={"limit": 1, "before": before})).json()
            [letter] = page["deadLetters"]
            seen.append(letter["id"])
            before = page["next"]
        assert seen == sorted(ids, reverse=True)
