"""The HTTP API with the Flask test client, on a tiny real model export (TensorFlow: slow)."""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from data.device_logs import export_device_records
from keyboard_app.api import CSRF_HEADER
from keyboard_app.app import create_app
from keyboard_app.payloads import MAX_BODY_BYTES, MAX_EVENTS, MAX_TEXT_CHARS
from model.export import read_export_info
from tests.paths import REPO

pytestmark = pytest.mark.slow

HEADERS = {CSRF_HEADER: "1"}


@pytest.fixture
def app(app_config):
    return create_app(app_config)


@pytest.fixture
def client(app):
    client = app.test_client()
    client.get("/")  # Sets the device cookie, as the page does.
    return client


def post_events(client, *events, headers=HEADERS):
    return client.post("/api/events", json={"events": list(events)}, headers=headers)


def impression(event_id="i1", **fields):
    return {"type": "impression", "id": event_id, "model_version": "v", "position": 7,
            "suggestions": ["make", "map", "many"], **fields}


def click(event_id="c1", **fields):
    return {"type": "click", "id": event_id, "impression_id": "i1", "slot": 1, "word": "make",
            **fields}


def message(event_id="m1", **fields):
    return {"type": "message", "id": event_id, "text": "how to make bread", **fields}


def rows(path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


# --- Suggestions ---------------------------------------------------------------------------

def test_mid_word_suggestions_complete_the_prefix(client, app_config):
    response = client.post("/api/suggest", json={"text": "how to ma"})

    assert response.status_code == 200
    assert sorted(response.json["suggestions"]) == ["make", "many", "map"]
    assert response.json["model_version"] == read_export_info(app_config.model_path).version


def test_after_a_space_three_next_words_are_suggested(client):
    suggestions = client.post("/api/suggest", json={"text": "how to "}).json["suggestions"]

    assert len(suggestions) == len(set(suggestions)) == 3


def test_a_prefix_without_completion_gets_no_suggestions_not_an_error(client):
    response = client.post("/api/suggest", json={"text": "how to xyz"})

    assert response.status_code == 200 and response.json["suggestions"] == []


# --- The device's events -------------------------------------------------------------------

def test_events_are_stored_in_the_calling_devices_file(client, app_config):
    response = post_events(client, impression(), click(), message())

    assert response.status_code == 200
    assert response.json == {"stored": 3, "stats": {
        "messages": 1, "impressions": 1, "clicks": 1, "click_through_rate": 1.0,
        "query_impressions": 0, "query_clicks": 0, "query_click_through_rate": 0.0}}
    path = app_config.data_dir / "me.sqlite3"
    assert rows(path, "SELECT slot, word FROM clicks") == [(1, "make")]
    assert [(r.user_id, r.text) for r in export_device_records(app_config.data_dir)] == [
        ("me", "how to make bread")]


def test_a_retried_request_stores_nothing_twice(client):
    post_events(client, message())

    assert post_events(client, message()).json["stored"] == 0


def test_picking_a_device_switches_the_log_written(client, app_config):
    response = client.post("/api/device", json={"device": "u1"}, headers=HEADERS)
    post_events(client, message())

    assert response.json["device"] == "u1" and response.json["devices"] == ["me", "u1", "u2"]
    assert "SameSite=Strict" in response.headers["Set-Cookie"]
    assert [r.user_id for r in export_device_records(app_config.data_dir)] == ["u1"]
    assert client.get("/api/device").json["messages"][0]["text"] == "how to make bread"


def test_the_page_sets_the_cookie_and_serves_only_its_own_assets(app, app_config):
    response = app.test_client().get("/")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "device=me" in response.headers["Set-Cookie"]
    assert read_export_info(app_config.model_path).version in page
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(url.startswith(("/static/", "data:")) for url in assets)
    for url in assets[1:]:
        assert app.test_client().get(url).status_code == 200


# --- Bad input: always a JSON error, never a 500 -------------------------------------------

def assert_json_error(response, status: int, fragment: str) -> None:
    assert response.status_code == status
    assert response.is_json and fragment in response.json["error"]


@pytest.mark.parametrize(("body", "fragment"), [
    ({}, 'missing field "text"'),
    ({"text": 3}, '"text" must be a string, got number'),
    ({"text": None}, "got null"),
    ({"text": ["how"]}, "got array"),
    (["how to"], "expected a JSON object, got array"),
    ("how to", "expected a JSON object, got string"),
])
def test_suggest_refuses_missing_or_wrong_typed_fields(client, body, fragment):
    assert_json_error(client.post("/api/suggest", json=body), 400, fragment)


def test_malformed_json_is_a_400(client):
    response = client.post("/api/suggest", data='{"text": "how', content_type="application/json")

    assert_json_error(response, 400, "JSON")


def test_a_body_that_is_not_json_is_refused(client):
    assert_json_error(client.post("/api/suggest", data="text=how"), 415, "application/json")


def test_text_over_the_limit_is_a_413(client):
    response = client.post("/api/suggest", json={"text": "a" * (MAX_TEXT_CHARS + 1)})

    assert_json_error(response, 413, f"the limit is {MAX_TEXT_CHARS}")
    assert client.post("/api/suggest", json={"text": "a" * MAX_TEXT_CHARS}).status_code == 200


def test_a_body_over_the_limit_is_a_413(client):
    response = client.post("/api/suggest", data=b"x" * (MAX_BODY_BYTES + 1),
                           content_type="application/json")

    assert response.status_code == 413 and "error" in response.json


def test_unknown_routes_and_wrong_methods_are_json_errors(client):
    assert_json_error(client.get("/api/nothing"), 404, "not found")
    assert_json_error(client.get("/api/suggest"), 405, "not allowed")
    assert_json_error(client.delete("/api/events"), 405, "not allowed")


@pytest.mark.parametrize(("events", "fragment"), [
    ([{"id": "x"}], 'events[0]: missing field "type"'),
    ([{"type": "tap", "id": "x"}], "unknown \"type\" 'tap'"),
    ([impression(position=-1)], '"position" must be 0-'),
    ([impression(position=True)], '"position" must be an integer, got boolean'),
    ([impression(suggestions=[])], "1-3 words"),
    ([impression(suggestions=["a", 2])], "a suggestion must be a string"),
    ([impression(id="../x")], '"id" must be 1-64 characters'),
    ([message(), click(slot=3)], 'events[1]: "slot" must be 0-2'),
    ([click(word=None)], '"word" must be a string, got null'),
    ([message(text="   ")], '"text" is empty'),
    ([message(text=7)], '"text" must be a string'),
    ([{k: v for k, v in message().items() if k != "id"}], 'missing field "id"'),
    ([], '"events" must hold 1-'),
    ("events", '"events" must be an array, got string'),
])
def test_events_refuse_bad_events_and_store_none_of_the_batch(client, app_config, events,
                                                              fragment):
    response = client.post("/api/events", json={"events": events}, headers=HEADERS)

    assert_json_error(response, 400, fragment)
    assert client.get("/api/device").json["stats"]["messages"] == 0


def test_a_message_over_the_limit_is_a_413(client):
    response = post_events(client, message(text="a" * (MAX_TEXT_CHARS + 1)))

    assert_json_error(response, 413, "the limit is")


def test_a_batch_over_the_limit_is_a_413(client):
    response = post_events(client, *(message(f"m{n}") for n in range(MAX_EVENTS + 1)))

    assert_json_error(response, 413, f"the limit is {MAX_EVENTS}")


def test_state_changing_requests_need_the_csrf_header(client, app_config):
    assert_json_error(post_events(client, message(), headers={}), 403, CSRF_HEADER)
    assert_json_error(client.post("/api/device", json={"device": "u1"}), 403, CSRF_HEADER)
    assert not (app_config.data_dir / "me.sqlite3").exists()


@pytest.mark.parametrize("cookie", [None, "../me", "u3", "ME"])
def test_events_need_a_known_device_cookie(app, app_config, cookie):
    client = app.test_client()
    if cookie is not None:
        client.set_cookie("device", cookie)

    assert_json_error(post_events(client, message()), 400, "cookie")
    assert list(app_config.data_dir.iterdir()) == []


@pytest.mark.parametrize("device", ["u3", "../me", "", 5])
def test_only_the_pickers_devices_can_be_chosen(client, device):
    response = client.post("/api/device", json={"device": device}, headers=HEADERS)

    assert response.status_code == 400 and "error" in response.json


# --- Hot reload ----------------------------------------------------------------------------

def point_model_at(model_path: Path, directory: Path) -> None:
    temporary = model_path.with_name(".model.tmp")
    temporary.symlink_to(directory)
    os.replace(temporary, model_path)


def served_version_within(client, seconds: float, expected: str) -> str:
    deadline = time.monotonic() + seconds
    while True:
        version = client.post("/api/suggest", json={"text": "how "}).json["model_version"]
        if version == expected or time.monotonic() > deadline:
            return version
        time.sleep(0.02)


def test_a_new_export_is_served_without_a_restart(client, app_config):
    exports = app_config.model_path.parent / "exports"
    old = read_export_info(app_config.model_path).version
    (new,) = (path.name for path in exports.iterdir() if path.name != old)

    point_model_at(app_config.model_path, exports / new)

    assert served_version_within(client, 5, new) == new


def test_a_half_written_export_is_refused_and_the_old_model_keeps_serving(client, app_config,
                                                                         caplog):
    old = read_export_info(app_config.model_path)
    broken = app_config.model_path.parent / "exports" / "r0003-broken"
    broken.mkdir()
    (broken / "config.json").write_text(
        (old.directory / "config.json").read_text().replace(old.version, "r0003-broken"))
    (broken / "model.tflite").write_bytes(b"half a model")
    for name in ("vocab.txt", "weights.npz"):
        (broken / name).write_bytes((old.directory / name).read_bytes())

    point_model_at(app_config.model_path, broken)

    with caplog.at_level(logging.WARNING, logger="keyboard_app.model_slot"):
        assert served_version_within(client, 0.5, "r0003-broken") == old.version

    assert f"new model export refused, still serving {old.version}" in caplog.text


# --- Load: 20 clients x 500 events against a real waitress server --------------------------

def test_concurrent_clients_lose_and_duplicate_no_event(app_config, live_server):
    url = urlsplit(live_server(create_app(app_config), threads=8))
    clients, events_each = 20, 500
    statuses: list[int] = []

    def send_all(client_number: int) -> None:
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        device = f"u{1 + client_number % 2}"
        for n in range(events_each):
            body = json.dumps({"events": [message(f"c{client_number}-{n}", text=f"hi {n}")]})
            connection.request("POST", "/api/events", body, {
                "Content-Type": "application/json", "Cookie": f"device={device}", **HEADERS})
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        connection.close()

    threads = [threading.Thread(target=send_all, args=(c,)) for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * (clients * events_each)
    records = export_device_records(app_config.data_dir)
    assert len(records) == clients * events_each
    assert {(r.user_id, r.text) for r in records} == {
        (f"u{1 + c % 2}", f"hi {n}") for c in range(clients) for n in range(events_each)}
    stored_ids = [row[0] for device in ("u1", "u2") for row in rows(
        app_config.data_dir / f"{device}.sqlite3", "SELECT event_id FROM messages")]
    assert sorted(stored_ids) == sorted(
        f"c{c}-{n}" for c in range(clients) for n in range(events_each))


# --- The serve command ---------------------------------------------------------------------

def test_the_serve_command_prints_its_url_and_serves_there(app_config):
    command = [sys.executable, "-m", "keyboard_app", "--model", str(app_config.model_path),
               "--port", "0", "--data-dir", str(app_config.data_dir)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True, cwd=REPO)
    try:
        line = server.stdout.readline()
        found = re.search(r"serving model (\S+) at (http://127\.0\.0\.1:\d+/)", line)
        assert found, f"unexpected first line: {line!r}"
        assert "(query chips q0001-" in line  # RUN_DIR/queries/model, found beside --model.
        with urllib.request.urlopen(found.group(2), timeout=10) as response:
            assert response.status == 200 and response.headers["Server"] == "waitress"
        assert found.group(1) == read_export_info(app_config.model_path).version
    finally:
        server.terminate()
        server.wait(timeout=10)

