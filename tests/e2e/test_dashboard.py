"""The dashboard in a real browser (the system's Chromium, driven by Playwright), as an operator
works through it: log in, find sagas, read one, cancel, retry, redrive a dead letter."""

import asyncio
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from ops.system import System, replica
from shared.topology import command_queue
from tests.dead_letters import letter_of, reject_command
from tests.e2e.conftest import WAIT_MS, Operated
from tests.harness import SagaApi, order
from tests.polling import eventually, random_ref

pytestmark = [pytest.mark.e2e, pytest.mark.ui]


@pytest.fixture
async def page(browser: Browser, operated: Operated) -> AsyncIterator[Page]:
    """A page logged in as the operator; every confirmation is accepted."""
    context = await browser.new_context(base_url=operated.system.url())
    opened = await context.new_page()
    opened.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await _log_in(opened, operated.operator_key)
    await expect(opened).to_have_url(re.compile(r"/ui/sagas$"))
    yield opened
    await context.close()


@pytest.fixture
async def api(operated: Operated) -> AsyncIterator[SagaApi]:
    async with SagaApi(operated.system.url(), operated.operator_key) as client:
        yield client


async def _log_in(page: Page, key: str) -> None:
    await page.goto("/ui/sagas")
    await expect(page).to_have_url(re.compile(r"/ui/login"))
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Log in").click()


async def test_only_an_operators_key_logs_in(browser: Browser, operated: Operated) -> None:
    context = await browser.new_context(base_url=operated.system.url())
    page = await context.new_page()
    for refused in ("not-a-key-of-this-system", operated.client_key):
        await _log_in(page, refused)
        await expect(page.get_by_role("alert")).to_have_text("Not an operator's key.")
    await _log_in(page, operated.operator_key)
    await expect(page.get_by_role("heading", name="Sagas")).to_be_visible()
    (cookie,) = [c for c in await context.cookies() if c["name"] == "saga_session"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert operated.operator_key not in cookie["value"]
    await context.close()


async def test_sagas_started_through_the_api_are_listed_and_filtered(page: Page, api: SagaApi) -> None:
    batch = random_ref("list")
    completed, failed = f"{batch}-ok", f"{batch}-no"
    await api.start(order(completed))
    await api.start(order(failed, amount=999_999))  # refused by the payment service: FAILED
    await api.finished(completed)
    await api.finished(failed)

    await page.get_by_label("Key starts with").fill(batch)
    await page.get_by_role("button", name="Filter").click()
    rows = page.locator("#sagas tbody tr")
    await expect(rows).to_have_count(2)
    await expect(page.locator(f"tr[data-key='{completed}'] .status")).to_have_text("COMPLETED")
    await expect(page.locator(f"tr[data-key='{failed}'] .status")).to_have_text("FAILED")

    await page.get_by_label("Status").fill("FAILED")
    await page.get_by_role("button", name="Filter").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-key", failed)

    async def counts() -> str:  # counted anew at most every few seconds
        await page.reload()
        return await page.locator("#counts").inner_text()

    await eventually(counts, lambda text: "COMPLETED" in text and "FAILED" in text, interval=1)

    await page.get_by_role("link", name="Overview").click()
    await expect(page.locator("#durations")).to_contain_text("p99")  # they finished minutes ago at most
    await expect(page.locator("#minutes tbody tr")).to_have_count(15)


async def test_a_sagas_page_draws_its_steps_and_timeline(page: Page, api: SagaApi) -> None:
    order_id = random_ref("order")
    await api.start(order(order_id))
    await api.finished(order_id)

    await page.goto(f"/ui/sagas?key={order_id}")
    await page.get_by_role("link", name=order_id).click()
    await expect(page.locator("#status")).to_have_text("COMPLETED")
    for step in ("createOrder", "processPayment", "reserveStock", "createShipment"):
        await expect(page.locator(f"[data-step='{step}']")).to_have_attribute("data-mark", "done")
    timeline = page.locator("#timeline tbody")
    await expect(timeline.locator("tr.REPLY")).to_have_count(4)
    await expect(timeline.locator("tr.REPLY").first).to_contain_text(re.compile(r"\d+ ms"))
    await expect(timeline).to_contain_text("inventory")
    # Every event names the replica that handled it: this system's only one.
    await expect(timeline.locator("td.replica")).to_have_text(
        [replica(0)] * await timeline.locator("tr").count()
    )
    await expect(page.locator("#input")).to_contain_text(order_id)
    await expect(page.get_by_role("button", name="Cancel")).to_have_count(0)


async def test_cancel_a_running_saga(page: Page, api: SagaApi, operated: Operated) -> None:
    system, order_id = operated.system, random_ref("order")
    system.kill("payment-service")  # so the saga waits at processPayment
    try:
        await api.start(order(order_id))
        await eventually(lambda: api.status(order_id), lambda s: s["status"] == "ORDER_CREATED")
        await page.goto(f"/ui/sagas/order/{order_id}")
        await expect(page.locator("[data-step='processPayment']")).to_have_attribute("data-mark", "running")
        await page.get_by_role("button", name="Cancel").click()
        await expect(page.locator("#phase")).to_have_text("COMPENSATING")
    finally:
        await asyncio.to_thread(system.restart, "payment-service")
    # The page follows the saga by itself to its end.
    await expect(page.locator("#status")).to_have_text("CANCELLED", timeout=WAIT_MS)
    await expect(page.locator("[data-step='createOrder']")).to_have_attribute("data-mark", "compensated")
    await expect(page.locator("#timeline")).to_contain_text("by ops")


async def test_retry_a_saga_parked_in_compensation_failed(
    page: Page, api: SagaApi, operated: Operated
) -> None:
    system, order_id = operated.system, random_ref("order")
    await asyncio.to_thread(system.restart, "inventory-service", env={"FAULT_FAIL_COMMANDS": "releaseStock"})
    await api.start(order(order_id, quantity=20))  # fails at shipping (over 10), then cannot release
    assert (await api.finished_or_parked(order_id))["status"] == "COMPENSATION_FAILED"
    await page.goto(f"/ui/sagas/order/{order_id}")
    await expect(page.locator("[data-step='reserveStock']")).to_have_attribute("data-mark", "failed")

    await asyncio.to_thread(system.restart, "inventory-service", env={"FAULT_FAIL_COMMANDS": ""})
    await page.get_by_role("button", name="Retry").click()

    await expect(page.locator("#status")).to_have_text("FAILED", timeout=WAIT_MS)
    await expect(page.locator("[data-step='reserveStock']")).to_have_attribute("data-mark", "compensated")
    await expect(page.get_by_role("button", name="Retry")).to_have_count(0)


async def test_redrive_a_dead_letter_and_see_its_saga_move(
    page: Page, api: SagaApi, operated: Operated
) -> None:
    system, order_id = operated.system, random_ref("order")
    system.kill("shipping-service")
    try:
        saga_id = (await api.start(order(order_id))).json()["sagaId"]
        await eventually(lambda: api.status(order_id), lambda s: s["status"] == "STOCK_RESERVED")
        message_id = await reject_command(
            system, command_queue("shipping", system.config.queue_prefix), saga_id
        )
        letter_id = await eventually(lambda: letter_of(api, message_id), lambda found: found is not None)
    finally:
        await asyncio.to_thread(system.restart, "shipping-service")

    await page.goto("/ui/dead-letters")
    letter = page.locator(f"tr[data-letter='{letter_id}']")
    await expect(letter).to_contain_text("shipping")
    await letter.get_by_role("button", name="Redrive").click()
    await expect(page.locator(f"tr[data-letter='{letter_id}']")).to_have_count(0)  # no longer open

    await page.goto(f"/ui/sagas/order/{order_id}")
    await expect(page.locator("#status")).to_have_text("COMPLETED", timeout=WAIT_MS)
    assert (await api.commands(order_id)).count("createShipment") == 1, "moved by the redrive, not a retry"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found[1]


async def test_an_action_needs_the_sessions_csrf_token(operated: Operated, api: SagaApi) -> None:
    order_id = random_ref("order")
    operated.system.kill("payment-service")  # so the saga waits, and could be cancelled
    try:
        await api.start(order(order_id))
        await eventually(lambda: api.status(order_id), lambda s: s["status"] == "ORDER_CREATED")
        async with httpx.AsyncClient(base_url=operated.system.url()) as browser:
            assert (await browser.get("/ui/sagas")).headers["location"] == "/ui/login"
            key = {"key": operated.operator_key}
            refused = await browser.post("/ui/login", data={**key, "csrf": "x" * 32})
            assert refused.status_code == 403, "a login form without its token's cookie"
            login = await browser.get("/ui/login")
            await browser.post("/ui/login", data={**key, "csrf": _csrf(login.text)})
            cancel = f"/ui/sagas/order/{order_id}/cancel"
            page = await browser.get(f"/ui/sagas/order/{order_id}")

            assert (await browser.post(cancel)).status_code == 403
            assert (await browser.post(cancel, data={"csrf": "x" * 32})).status_code == 403
            assert (await api.status(order_id))["phase"] == "FORWARD"
            cancelled = await browser.post(cancel, data={"csrf": _csrf(page.text)})
            assert cancelled.status_code == 303
            assert (await api.status(order_id))["phase"] == "COMPENSATING"
    finally:
        await asyncio.to_thread(operated.system.restart, "payment-service")
    assert (await api.finished(order_id))["status"] == "CANCELLED"


async def test_with_authentication_off_the_dashboard_is_open_and_its_forms_still_checked(
    system: System,
) -> None:
    order_id = random_ref("order")
    async with SagaApi(system.url()) as anyone:
        await anyone.start(order(order_id))
        await anyone.finished(order_id)
    async with httpx.AsyncClient(base_url=system.url()) as browser:
        listed = await browser.get("/ui/sagas", params={"key": order_id})
        assert listed.status_code == 200 and order_id in listed.text
        assert "authentication off" in listed.text
        refused = await browser.post(f"/ui/sagas/order/{order_id}/cancel", data={"csrf": "x" * 32})
        assert refused.status_code == 403
