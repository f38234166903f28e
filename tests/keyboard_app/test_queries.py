"""Query chips over HTTP: POST /api/queries, the query events, hot reload (fast: no TF)."""

from __future__ import annotations

import sqlite3
import time

import pytest

from data.device_logs import export_device_impressions
from keyboard_app.api import CSRF_HEADER
from keyboard_app.app import create_app
from keyboard_app.config import AppConfig
from model.triggering_export import read_triggering_export
from tests.conftest import TINY_QUERY_THRESHOLD, write_tiny_queries

HEADERS = {CSRF_HEADER: "1"}


@pytest.fixture
def client(fast_app):
    client = fast_app.test_client()
    client.get("/")  # Sets the device cookie, as the page does.
    return client


def chip_for(client, text: str, offset: int = 60):
    response = client.post("/api/queries", json={"text": text, "utc_offset_minutes": offset})
    assert response.status_code == 200, response.json
    return response.json


def query_impression(event_id="q1", **fields):
    return {"type": "query_impression", "id": event_id, "model_version": "q0001",
            "context": "i need bread", "candidate": "bread recipe", "position": 3,
            "baseline_score": 0.7, "utc_offset_minutes": 60, **fields}


def test_a_context_that_triggers_gets_a_chip_with_what_its_impression_logs(client):
    answer = chip_for(client, "I need bread and ")

    chip = answer["query"]
    assert chip["query"] == "bread recipe" and chip["context"] == "i need bread and"
    assert chip["position"] == 4 and chip["score"] == pytest.approx(0.5)
    assert chip["score"] >= TINY_QUERY_THRESHOLD and 0 < chip["baseline_score"] <= 1
    assert answer["model_version"] == chip["model_version"] and chip["model_version"].startswith(
        "q0001")


def test_the_word_being_typed_is_not_context_yet(client):
    assert chip_for(client, "bre")["query"] is None
    assert chip_for(client, "bread ")["query"]["query"] == "bread recipe"


def test_no_chip_below_the_threshold_or_without_a_proposal(client):
    assert chip_for(client, "so many ")["query"] is None  # "many cats" scores about 0.
    assert chip_for(client, "hello there ")["query"] is None


def test_a_tap_and_an_ignored_chip_land_in_the_devices_log_and_panel(client, fast_app_config):
    response = client.post("/api/events", headers=HEADERS, json={"events": [
        query_impression("q1"), {"type": "query_click", "id": "c1", "impression_id": "q1"},
        query_impression("q2", candidate="map of paris", context="a map", position=2)]})

    assert response.status_code == 200 and response.json["stored"] == 3
    stats = response.json["stats"]
    assert (stats["query_impressions"], stats["query_clicks"]) == (1 + 1, 1)
    assert stats["query_click_through_rate"] == 0.5
    records = export_device_impressions(fast_app_config.data_dir)
    assert [(r.user_id, r.candidate, r.context, r.position, r.clicked) for r in records] == [
        ("me", "bread recipe", "i need bread", 3, True), ("me", "map of paris", "a map", 2, False)]
    assert records[0].timestamp.endswith("+01:00")
    assert client.get("/api/device").json["stats"]["query_clicks"] == 1


@pytest.mark.parametrize(("fields", "problem"), [
    ({"candidate": ""}, '"candidate" must be 1-200'),
    ({"candidate": "x" * 201}, '"candidate" must be 1-200'),
    ({"baseline_score": 1.5}, '"baseline_score" must be a number in'),
    ({"baseline_score": True}, '"baseline_score" must be a number in'),
    ({"utc_offset_minutes": 900}, '"utc_offset_minutes" must be -840-840'),
    ({"position": -1}, '"position" must be'),
    ({"context": "\ud800"}, "not well-formed Unicode"),
    ({"id": "no spaces"}, '"id" must be'),
])
def test_malformed_query_impressions_are_refused_naming_the_field(client, fields, problem):
    response = client.post("/api/events", headers=HEADERS,
                           json={"events": [query_impression(**fields)]})
    assert response.status_code == 400 and problem in response.json["error"]


def test_a_query_click_needs_its_impression_id(client):
    response = client.post("/api/events", headers=HEADERS,
                           json={"events": [{"type": "query_click", "id": "c1"}]})
    assert response.status_code == 400 and 'missing field "impression_id"' in response.json["error"]


def test_queries_need_a_device_and_a_valid_offset(fast_app):
    fresh = fast_app.test_client()
    assert fresh.post("/api/queries", json={"text": "bread ",
                                            "utc_offset_minutes": 0}).status_code == 400
    client = fast_app.test_client()
    client.get("/")
    assert client.post("/api/queries", json={"text": "bread "}).status_code == 400


def test_without_a_query_export_the_app_shows_no_chips(fast_app_config):
    from tests.conftest import load_numpy_suggester

    config = AppConfig(model_path=fast_app_config.model_path, data_dir=fast_app_config.data_dir)
    client = create_app(config, load_model=load_numpy_suggester).test_client()
    client.get("/")
    assert chip_for(client, "bread ") == {"query": None, "model_version": None}


def test_a_new_query_export_is_picked_up_without_a_restart(fast_app_config, tmp_path):
    from tests.conftest import load_numpy_suggester

    config = AppConfig(model_path=fast_app_config.model_path, data_dir=tmp_path / "devices",
                       queries_path=fast_app_config.queries_path, reload_check_seconds=0.01)
    client = create_app(config, load_model=load_numpy_suggester).test_client()
    client.get("/")
    before = chip_for(client, "bread ")["model_version"]
    export = read_triggering_export(config.queries_path)
    from model.triggering_export import write_triggering_export

    write_triggering_export(config.queries_path.parent, export.model, export.candidates,
                            threshold=0.9, keep_share=0.1, label="q0002", metadata={})
    deadline = time.monotonic() + 5
    while chip_for(client, "bread ")["model_version"] == before and time.monotonic() < deadline:
        time.sleep(0.02)
    answer = chip_for(client, "bread ")
    assert answer["model_version"].startswith("q0002") and answer["query"] is None


def test_the_devices_history_is_a_feature(client, fast_app_config):
    client.post("/api/events", headers=HEADERS, json={"events": [
        query_impression(f"q{n}") for n in range(5)]})
    with sqlite3.connect(fast_app_config.data_dir / "me.sqlite3") as connection:
        assert connection.execute("SELECT COUNT(*) FROM query_impressions").fetchone() == (5,)
    # The tiny model weighs no history feature: the score is unchanged, the request works.
    assert chip_for(client, "bread ")["query"]["score"] == pytest.approx(0.5)


def test_write_tiny_queries_is_a_loadable_export(tmp_path):
    export = read_triggering_export(write_tiny_queries(tmp_path))
    assert export.threshold == TINY_QUERY_THRESHOLD and len(export.candidates) == 3
