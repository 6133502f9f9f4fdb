"""`python -m ops.screenshots`: starts a few sagas on a running system and photographs the dashboard's
saga list, a failed order's page and a refused express order's page into docs/ui/, with the browser
its tests drive (Debian's Chromium)."""

import argparse
import asyncio
import os
import secrets
from pathlib import Path

import httpx
from playwright.async_api import Page, ViewportSize, async_playwright

CHROMIUM = "/usr/bin/chromium"
OUT = Path(__file__).resolve().parent.parent / "docs" / "ui"
VIEWPORT = ViewportSize(width=1280, height=900)


async def _start_sagas(url: str, key: str | None) -> tuple[str, str]:
    """A handful of sagas, one of them failed by its payment, and express orders, one of them refused
    by the fraud check; returns the two failed ones' order ids."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    batch = secrets.token_hex(3)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
        orders = [(f"order-{batch}-{n}", 100 + n) for n in range(5)]
        orders.append((f"order-{batch}-declined", 999_999))
        for order_id, amount in orders:
            body = {"orderId": order_id, "productId": "item-001", "quantity": 1, "amount": amount}
            answer = await http.post("/saga/start", params={"wait": 30}, json=body)
            answer.raise_for_status()
        express = [(f"express-{batch}-{n}", amount) for n, amount in enumerate((40, 2500, 6000))]
        for order_id, amount in express:
            body = {"orderId": order_id, "productId": "item-001", "quantity": 1, "amount": amount}
            answer = await http.post("/workflows/express_order/start", params={"wait": 30}, json=body)
            answer.raise_for_status()
        return orders[-1][0], express[-1][0]


async def _log_in(page: Page, key: str | None) -> None:
    await page.goto("/ui/sagas")
    if key and "/ui/login" in page.url:
        await page.get_by_label("API key").fill(key)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url("**/ui/sagas")


async def photograph(url: str, key: str | None, out: Path = OUT) -> list[Path]:
    failed, refused = await _start_sagas(url, key)
    shots = [out / "saga-list.png", out / "saga-page.png", out / "express-page.png"]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(base_url=url, viewport=VIEWPORT)
        await _log_in(page, key)
        await page.screenshot(path=shots[0], full_page=True)
        await page.goto(f"/ui/sagas/order/{failed}")
        await page.locator("#timeline").wait_for()
        await page.screenshot(path=shots[1], full_page=True)
        await page.goto(f"/ui/sagas/express_order/{refused}")
        await page.locator("#timeline").wait_for()
        await page.screenshot(path=shots[2], full_page=True)
        await browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default=os.environ.get("SAGA_URL", "http://127.0.0.1:3000"))
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # The key as the `saga` command line takes it; none where authentication is off.
    for shot in asyncio.run(photograph(args.url, os.environ.get("SAGA_API_KEY"), args.out)):
        print(shot)


if __name__ == "__main__":
    main()
