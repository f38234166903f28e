"""The device store on real SQLite files (fast: no Flask, no TensorFlow)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading

import pytest

from data.device_logs import (
    Click,
    DeviceStats,
    DeviceStore,
    Impression,
    Message,
    check_device_id,
    export_device_records,
)
from data.records import TypingRecord
from tests.paths import REPO


def ticking_clock(start: int = 0):
    """A clock giving 2026-03-01T08:00:SS.000Z, one second later at every call."""
    seconds = iter(range(start, 60))
    return lambda: f"2026-03-01T08:00:{next(seconds):02d}.000Z"


@pytest.fixture
def store(tmp_path):
    store = DeviceStore(tmp_path, clock=ticking_clock())
    yield store
    store.close()


def rows(path, query):
    with sqlite3.connect(path) as connection:
        return connection.execute(query).fetchall()


def test_events_land_in_the_devices_own_file(store, tmp_path):
    log = store.device("me")

    stored = log.record([
        Impression("i1", model_version="r0001-abc", position=7, suggestions=("make", "get")),
        Click("c1", impression_id="i1", slot=1, word="make"),
        Message("m1", text="how to make bread"),
    ])

    assert stored == 3
    path = tmp_path / "me.sqlite3"
    assert rows(path, "SELECT event_id, model_version, position, suggestions FROM impressions") \
        == [("i1", "r0001-abc", 7, '["make", "get"]')]
    assert rows(path, "SELECT impression_id, slot, word FROM clicks") == [("i1", 1, "make")]
    assert rows(path, "SELECT text, time FROM messages") == [
        ("how to make bread", "2026-03-01T08:00:00.000Z")]
    assert rows(path, "PRAGMA journal_mode") == [("wal",)]
    assert not (tmp_path / "u1.sqlite3").exists()


def test_a_retried_event_is_stored_once(store):
    log = store.device("me")
    log.record([Message("m1", text="hello")])

    assert log.record([Message("m1", text="hello"), Message("m2", text="again")]) == 1
    assert [message.text for message in log.messages()] == ["hello", "again"]


def test_a_failing_batch_stores_nothing(store):
    log = store.device("me")

    with pytest.raises(TypeError, match="not a device event"):
        log.record([Message("m1", text="hello"), "not an event"])

    assert log.stats() == DeviceStats(messages=0, impressions=0, clicks=0)


def test_stats_count_each_kind_and_the_click_through_rate(store):
    log = store.device("me")
    log.record([Impression(f"i{n}", "v", 0, ("a",)) for n in range(4)]
               + [Click("c1", "i1", 0, "a"), Message("m1", "hi")])

    stats = log.stats()

    assert stats == DeviceStats(messages=1, impressions=4, clicks=1)
    assert stats.click_through_rate == 0.25
    assert DeviceStats(0, 0, 0).click_through_rate == 0.0


def test_messages_keeps_the_last_ones_oldest_first(store):
    log = store.device("me")
    log.record([Message("m1", "one")])
    log.record([Message("m2", "two")])
    log.record([Message("m3", "three")])

    assert [(m.text, m.time) for m in log.messages(limit=2)] == [
        ("two", "2026-03-01T08:00:01.000Z"), ("three", "2026-03-01T08:00:02.000Z")]


@pytest.mark.parametrize("device_id", ["", "Me", "../me", "a/b", "me.sqlite3", "x" * 33,
                                       "me\n", None, 7])
def test_device_ids_outside_the_pattern_are_refused(store, tmp_path, device_id):
    with pytest.raises(ValueError, match="invalid device id"):
        store.device(device_id)
    assert list(tmp_path.iterdir()) == []


def test_valid_device_ids_are_kept():
    assert check_device_id("u00042") == "u00042"
    assert check_device_id("my_phone-2") == "my_phone-2"


def test_export_gives_every_devices_messages_as_typing_records(tmp_path):
    store = DeviceStore(tmp_path, clock=ticking_clock())
    store.device("u2").record([Message("a", "second device")])
    store.device("me").record([Message("b", "first"), Impression("i", "v", 0, ("x",))])
    store.device("me").record([Message("c", "then this")])
    store.device("empty")
    store.close()
    (tmp_path / "notes.txt").write_text("not a device")

    records = export_device_records(tmp_path)

    assert records == [
        TypingRecord("me", "first", timestamp="2026-03-01T08:00:01.000Z"),
        TypingRecord("me", "then this", timestamp="2026-03-01T08:00:02.000Z"),
        TypingRecord("u2", "second device", timestamp="2026-03-01T08:00:00.000Z"),
    ]


def test_export_of_a_missing_directory_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such device data directory"):
        export_device_records(tmp_path / "missing")


def test_concurrent_writers_lose_and_duplicate_nothing(tmp_path):
    # Two stores on one directory stand for two processes; ten threads write through each.
    stores = [DeviceStore(tmp_path), DeviceStore(tmp_path)]
    writers, events_each = 20, 500
    failures = []

    def write(writer: int) -> None:
        try:
            log = stores[writer % 2].device("me")
            for n in range(events_each):
                log.record([Message(f"w{writer}-{n}", f"message {n} of writer {writer}")])
        except Exception as error:  # Reported below: a thread's exception is otherwise lost.
            failures.append(error)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()

    assert failures == []
    event_ids = [row[0] for row in rows(tmp_path / "me.sqlite3", "SELECT event_id FROM messages")]
    assert len(event_ids) == writers * events_each
    assert set(event_ids) == {f"w{w}-{n}" for w in range(writers) for n in range(events_each)}


def test_the_store_module_imports_neither_flask_nor_tensorflow():
    code = ("import sys, json; import data.device_logs; "
            "print(json.dumps([m for m in ('flask', 'tensorflow') if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=REPO)

    assert json.loads(result.stdout) == []
