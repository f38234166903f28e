"""The keyboard page in real headless Chromium, against a real waitress server (slow)."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from pathlib import Path

import pytest
import waitress
from playwright.sync_api import expect, sync_playwright
from waitress import wasyncore

from data.device_logs import Message, export_device_impressions
from keyboard_app.app import create_app
from keyboard_app.payloads import MAX_TEXT_CHARS
from keyboard_app.resources import resources
from tests.paths import REPO

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "artifacts"


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


# --- Nothing typed is lost: bad characters, a stopped server, a reload, an early start ------

class RestartableServer:
    """The app under waitress on one loopback port, stopped and started again at will."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = 0
        self._connections: dict = {}
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        self._connections = {}  # Waitress's socket map: the listener and every connection.
        server = waitress.create_server(self.app, host="127.0.0.1", port=self.port,
                                        map=self._connections)
        self.port = int(server.effective_port)
        self._dispatcher = server.task_dispatcher
        self._thread = threading.Thread(target=server.run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Closes the listener and every open connection, as a stopped process would."""
        self._dispatcher.shutdown()
        wasyncore.close_all(self._connections)
        self._thread.join(timeout=5)


@pytest.fixture
def server(fast_app):
    server = RestartableServer(fast_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1000, "height": 840})
    page.goto(server.url)
    expect(page.locator("#stat-messages")).to_have_text("0")  # The panel arrived.
    yield page
    page.close()


def stored_texts(config) -> list[str]:
    path = config.data_dir / "me.sqlite3"
    return [text for (text,) in rows(path, "SELECT text FROM messages ORDER BY id")]


def test_the_on_screen_backspace_deletes_a_whole_emoji_and_both_messages_are_stored(
        page, fast_app_config):
    page.keyboard.type("hi 👍")
    page.click('[data-action="backspace"]')
    assert page.input_value("#message") == "hi "
    page.keyboard.type("👨‍👩‍👧")  # One grapheme of five code points.
    page.click('[data-action="backspace"]')
    assert page.input_value("#message") == "hi "

    page.click('[data-action="send"]')
    page.keyboard.type("ok")
    page.click('[data-action="send"]')

    expect(page.locator("#stat-messages")).to_have_text("2")
    assert stored_texts(fast_app_config) == ["hi", "ok"]


def test_an_event_the_server_refuses_is_set_aside_with_a_notice_and_the_queue_goes_on(
        page, fast_app_config):
    too_long = "a" * (MAX_TEXT_CHARS + 1)  # The page cannot type it; a stale client could.
    page.evaluate("text => log({type: 'message', id: 'stale1', text})", too_long)
    page.keyboard.type("ok")
    page.keyboard.press("Enter")

    expect(page.locator("#stat-messages")).to_have_text("1")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice-text")).to_contain_text("the limit is 2000")
    assert stored_texts(fast_app_config) == ["ok"]
    page.reload()  # Set aside, not forgotten, until dismissed.
    expect(page.locator("#notice")).to_be_visible()
    page.click("#notice-dismiss")
    expect(page.locator("#notice")).to_be_hidden()


def test_a_message_sent_while_the_server_is_stopped_is_stored_when_it_is_back(
        page, server, fast_app_config):
    server.stop()
    page.keyboard.type("are you there")
    page.keyboard.press("Enter")

    expect(page.locator("#pending")).to_contain_text("not sent yet")
    expect(page.locator("#thread li.pending")).to_have_text("are you there")
    assert "are you there" in page.evaluate("localStorage.getItem('keyboard.outbox.me')")
    server.start()

    expect(page.locator("#stat-messages")).to_have_text("1", timeout=15_000)
    expect(page.locator("#thread li.pending")).to_have_count(0)
    assert stored_texts(fast_app_config) == ["are you there"]


def test_a_message_not_yet_sent_survives_a_reload_and_is_stored_once(page, fast_app_config):
    page.route("**/api/events", lambda route: route.abort())  # The server is unreachable.
    page.keyboard.type("see you soon")
    page.keyboard.press("Enter")
    expect(page.locator("#pending")).to_contain_text("not sent yet")
    page.unroute("**/api/events")

    page.reload()

    expect(page.locator("#stat-messages")).to_have_text("1")
    expect(page.locator("#thread li")).to_have_text(["see you soon"])
    assert stored_texts(fast_app_config) == ["see you soon"]
    assert page.evaluate("JSON.parse(localStorage.getItem('keyboard.outbox.me'))") == []


def test_keys_typed_before_the_panel_arrives_are_kept(browser, server):
    resources(server.app).store.device("me").record([Message("m0", text="earlier")])
    page = browser.new_page()
    held = []
    page.route("**/api/device", lambda route: held.append(route))  # Answered after typing.
    page.goto(server.url)

    page.keyboard.type("did you see the ")
    held[0].continue_()

    expect(page.locator("#thread li")).to_have_text(["earlier"])  # The panel arrived.
    assert page.input_value("#message") == "did you see the "
    page.close()


def test_a_message_sent_before_the_panel_arrives_is_not_overwritten_by_the_older_panel(
        browser, server, fast_app_config):
    page = browser.new_page()
    held = []
    page.route("**/api/device", lambda route: held.append(route))
    sent = []
    page.on("request", lambda request: sent.append(request.url)
            if request.url.endswith("/api/events") else None)
    page.goto(server.url)
    panel = held[0].fetch()  # The server's answer, from before the message is sent.

    page.keyboard.type("sent early")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1_000)  # Time enough for an early send to leave and be stored.
    assert sent == []  # The outbox waits for the panel...
    held[0].fulfill(response=panel)  # ...which arrives, older than the message.

    expect(page.locator("#stat-messages")).to_have_text("1")
    expect(page.locator("#thread li")).to_have_text(["sent early"])
    assert stored_texts(fast_app_config) == ["sent early"]
    page.close()


def test_a_page_under_a_foreign_host_name_gets_nothing(server):
    rules = "--host-resolver-rules=MAP evil.test 127.0.0.1"  # DNS rebinding, in effect.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=[*CHROMIUM_ARGS, rules])
        page = browser.new_page()
        response = page.goto(f"http://evil.test:{server.port}/")
        # The rebinding page's own script reads "its" API, same-origin.
        api = page.evaluate("fetch('/api/device').then(async r => [r.status, await r.json()])")

        assert response.status == 421 and "does not answer for host" in response.json()["error"]
        assert api[0] == 421 and list(api[1]) == ["error"]
        assert page.context.cookies() == []
        assert page.locator("#message").count() == 0
        browser.close()


# --- Query chips -----------------------------------------------------------------------------

def test_a_query_chip_appears_a_tap_stores_a_click_and_an_ignored_chip_stores_a_0(
        page, fast_app_config):
    page.keyboard.type("so many ")  # "many cats" scores below the threshold: no chip.
    page.keyboard.type("I need bread ")  # Now "bread recipe" is proposed and passes it.
    expect(page.locator("#query-chip")).to_have_text("bread recipe")
    expect(page.locator("#query-chip svg")).to_be_visible()  # The search icon.
    page.click("#query-chip")
    expect(page.locator("#thread li.searched")).to_have_text("bread recipe")
    expect(page.locator("#query-chip")).to_be_hidden()
    expect(page.locator("#stat-query-clicks")).to_have_text("1")
    page.keyboard.press("Enter")
    page.keyboard.type("a map ")
    expect(page.locator("#query-chip")).to_have_text("map of paris")
    page.keyboard.press("Enter")  # Sent without a tap: the chip was ignored.
    expect(page.locator("#stat-messages")).to_have_text("2")
    expect(page.locator("#stat-query-impressions")).to_have_text("2")
    expect(page.locator("#stat-query-ctr")).to_have_text("50.0%")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "keyboard-chips.png"))

    records = export_device_impressions(fast_app_config.data_dir)
    assert [(r.candidate, r.context, r.position, r.clicked) for r in records] == [
        ("bread recipe", "so many i need bread", 5, True), ("map of paris", "a map", 2, False)]
    assert all(0 < r.baseline_score <= 1 for r in records)
    log = fast_app_config.data_dir / "me.sqlite3"
    ((model_version,),) = set(rows(log, "SELECT model_version FROM query_impressions"))
    assert model_version.startswith("q0001-")


# --- Personalization -------------------------------------------------------------------------

def test_a_personalized_device_suggests_its_own_word_and_another_device_does_not(
        live_server, app_config, browser):
    from model.personalization import PersonalizationConfig

    config = dataclasses.replace(app_config, personalization=PersonalizationConfig(
        epochs=1, batch_size=4, min_messages=100))  # Personalized by the click only.
    page = browser.new_page(viewport={"width": 1000, "height": 840})
    page.goto(live_server(create_app(config)))
    expect(page.locator("#personal-serving")).to_contain_text("Global model")
    for text in ("how to make zanzibar bread", "a map of zanzibar"):  # Out of the vocabulary.
        page.keyboard.type(text)
        page.keyboard.press("Enter")
    expect(page.locator("#stat-messages")).to_have_text("2")
    page.keyboard.type("how to make z")
    expect(page.locator(".suggestion")).to_have_text(["", "", ""])

    page.click("#personalize")

    expect(page.locator("#personal-serving")).to_contain_text("Personal model",
                                                              timeout=180_000)
    expect(page.locator("#personal-words")).to_have_text("3")  # zanzibar, a, of.
    expect(page.locator(".suggestion")).to_have_text(["", "zanzibar", ""])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "keyboard-personal.png"))

    page.select_option("#device", "u1")
    expect(page.locator("#personal-serving")).to_contain_text("Global model")
    expect(page.locator("#personal-words")).to_have_text("0")
    page.focus("#message")  # The picker had the focus.
    page.keyboard.type("how to make z")
    expect(page.locator(".suggestion")).to_have_text(["", "", ""])
