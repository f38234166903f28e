"""The keyboard page in real headless Chromium, against a real waitress server (slow)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from keyboard_app.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def browser():
    if not CHROMIUM.is_file():  # CI must run this test: a missing browser is a failure.
        pytest.fail(f"{CHROMIUM} not found: install it with `scripts/setup.sh --browser` "
                    "(Debian's chromium package)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def rows(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def expected_strip(page, text: str) -> list[str]:
    """The strip for `text`, left to right: the server's best word in the middle."""
    response = page.request.post(page.url + "api/suggest", data={"text": text})
    best, second, third = response.json()["suggestions"]
    return [second, best, third]


def test_typing_tapping_a_suggestion_and_sending_lands_in_the_devices_log(
        live_server, app_config, browser):  # The browser closes first, then the server.
    url = live_server(create_app(app_config))
    page = browser.new_page(viewport={"width": 1000, "height": 840})
    page.goto(url)

    for key in "how to ":  # On-screen keys, as a finger would.
        page.click(f'.key[data-key="{key}"]')
    strip = expected_strip(page, "How to ")
    expect(page.locator(".suggestion")).to_have_text(strip)  # Waits out stale answers.
    best = strip[1]
    page.click('.suggestion[data-slot="1"]')

    assert page.input_value("#message") == f"How to {best} "
    page.click('[data-action="send"]')
    expect(page.locator("#stat-messages")).to_have_text("1")
    page.keyboard.type("how to ma")  # A physical keyboard types into the message box too.
    strip = expected_strip(page, "how to ma")
    assert sorted(strip) == ["make", "many", "map"]
    expect(page.locator(".suggestion")).to_have_text(strip)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "keyboard.png"))

    log = app_config.data_dir / "me.sqlite3"
    impressions = rows(log, "SELECT event_id, position, suggestions FROM impressions")
    ((impression_id, slot, word),) = rows(log, "SELECT impression_id, slot, word FROM clicks")
    assert (slot, word) == (1, best)
    shown = [row for row in impressions if row[0] == impression_id]
    assert len(shown) == 1 and shown[0][1] == len("how to ") and best in shown[0][2]
    assert rows(log, "SELECT text FROM messages") == [(f"How to {best}",)]
    assert page.inner_text("#thread li") == f"How to {best}"

    page.select_option("#device", "u1")  # Another device: its own, empty, history.
    expect(page.locator("#stat-messages")).to_have_text("0")
    expect(page.locator("#thread li")).to_have_count(0)
    assert page.input_value("#message") == ""
