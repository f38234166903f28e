"""Query chips in the device log: schema version 2, its migration and its export (fast)."""

from __future__ import annotations

import sqlite3

import pytest

from data.device_logs import DeviceLog, DeviceStore, Message, export_device_impressions
from data.device_queries import QueryClick, QueryImpression
from data.impressions import ImpressionRecord

V1_SCHEMA = (
    "CREATE TABLE impressions (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT"
    " NOT NULL, model_version TEXT NOT NULL, position INTEGER NOT NULL, suggestions TEXT NOT NULL)",
    "CREATE TABLE clicks (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT"
    " NULL, impression_id TEXT NOT NULL, slot INTEGER NOT NULL, word TEXT NOT NULL)",
    "CREATE TABLE messages (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT"
    " NULL, text TEXT NOT NULL)",
)


def chip(event_id: str, candidate: str = "best ramen near me", *, offset: int = 60
         ) -> QueryImpression:
    return QueryImpression(event_id=event_id, model_version="q1", context="i want ramen",
                           candidate=candidate, position=3, baseline_score=0.5,
                           utc_offset_minutes=offset)


def fixed_clock() -> str:
    return "2026-03-01T23:30:00.000Z"


def test_a_version_1_file_gains_the_query_tables_and_keeps_its_messages(tmp_path):
    path = tmp_path / "me.sqlite3"
    with sqlite3.connect(path) as connection:
        for statement in V1_SCHEMA:
            connection.execute(statement)
        connection.execute("INSERT INTO messages (event_id, time, text) VALUES ('m1', "
                           "'2026-03-01T08:00:00.000Z', 'hello')")
        connection.execute("PRAGMA user_version=1")
    connection.close()

    log = DeviceLog(path, clock=fixed_clock)
    log.record([chip("q1"), QueryClick("c1", "q1")])

    assert [m.text for m in log.messages()] == ["hello"]
    stats = log.stats()
    assert (stats.messages, stats.query_impressions, stats.query_clicks) == (1, 1, 1)
    log.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone() == (2,)


def test_a_file_of_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "me.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version=3")
    connection.close()
    with pytest.raises(ValueError, match="schema version 3"):
        DeviceLog(path)


def test_the_export_labels_tapped_chips_1_and_ignored_ones_0_in_local_time(tmp_path):
    store = DeviceStore(tmp_path, clock=fixed_clock)
    store.device("me").record([chip("q1"), chip("q2", "lasagna recipe"), QueryClick("c1", "q1"),
                               QueryClick("c1", "q1"), Message("m1", "hi")])
    store.device("u1").record([chip("q9", offset=-300)])
    store.close()

    records = export_device_impressions(tmp_path)

    assert records == [
        ImpressionRecord(user_id="me", timestamp="2026-03-02T00:30:00.000+01:00",
                         context="i want ramen", candidate="best ramen near me", position=3,
                         baseline_score=0.5, clicked=True),
        ImpressionRecord(user_id="me", timestamp="2026-03-02T00:30:00.000+01:00",
                         context="i want ramen", candidate="lasagna recipe", position=3,
                         baseline_score=0.5, clicked=False),
        ImpressionRecord(user_id="u1", timestamp="2026-03-01T18:30:00.000-05:00",
                         context="i want ramen", candidate="best ramen near me", position=3,
                         baseline_score=0.5, clicked=False),
    ]
    assert records[0].hour == 0 and records[2].hour == 18


def test_recent_queries_are_the_last_ones_oldest_first_with_their_taps(tmp_path):
    log = DeviceLog(tmp_path / "me.sqlite3", clock=fixed_clock)
    log.record([chip("q1", "a b"), chip("q2", "c d"), chip("q3", "e f"), QueryClick("c", "q2")])
    assert log.recent_queries(2) == [("c d", True), ("e f", False)]
    assert log.stats().query_click_through_rate == pytest.approx(1 / 3)


def test_a_stored_row_no_record_may_hold_is_named_and_nothing_is_lost(tmp_path):
    log = DeviceLog(tmp_path / "me.sqlite3", clock=fixed_clock)
    log.record([chip("q1"), chip("bad", candidate="  ")])
    log.close()
    with pytest.raises(ValueError, match="device me, query impression bad: .*candidate"):
        export_device_impressions(tmp_path)
    assert DeviceLog(tmp_path / "me.sqlite3").stats().query_impressions == 2


def test_exporting_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such device data directory"):
        export_device_impressions(tmp_path / "nowhere")
