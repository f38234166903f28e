"""What each simulated phone keeps about its typing: one SQLite file per device.

A device's file (`DATA_DIR/<device id>.sqlite3`, WAL mode; its other on-device state, the
personal model and word cache, lives in `DATA_DIR/<device id>/`) holds the suggestion strips
shown (impressions: the words and the caret position in the message), the suggestions tapped
(which word, which slot of the strip) and the committed messages, each with a UTC timestamp. Since
schema version 2 it also holds the query chips shown and tapped (`data.device_queries`); a
version-1 file gains those tables in place when opened. Events carry a client-made id, so a
retried request never stores an event twice.

Device ids must match `DEVICE_ID_PATTERN` before they become part of a path, so no request can
reach a file outside the data directory or another device's file.

This module owns the device log: its schema, and every read and write of it. It imports neither
Flask nor TensorFlow: the keyboard app writes through `DeviceStore`, the trainer reads
`export_device_records` and `export_device_impressions` (device logs as federated clients)
and the report reads `read_device_histories` (live metrics), read-only.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Union

from data import device_queries
from data.device_queries import BUSY_SECONDS, QueryClick, QueryImpression, enable_wal
from data.impressions import ImpressionRecord
from data.records import TypingRecord

DEVICE_ID_PATTERN = re.compile(r"[a-z0-9_-]{1,32}")
STORE_SUFFIX = ".sqlite3"
_SCHEMA_VERSION = 2
_SCHEMA = (
    """CREATE TABLE impressions (
        id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT NULL,
        model_version TEXT NOT NULL, position INTEGER NOT NULL, suggestions TEXT NOT NULL)""",
    """CREATE TABLE clicks (
        id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT NULL,
        impression_id TEXT NOT NULL, slot INTEGER NOT NULL, word TEXT NOT NULL)""",
    """CREATE TABLE messages (
        id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT NULL,
        text TEXT NOT NULL)""",
)


@dataclass(frozen=True)
class Impression:
    """A suggestion strip shown: `suggestions` best first, at caret `position` in the message."""

    event_id: str
    model_version: str
    position: int
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class Click:
    """A tapped suggestion: `word`, in strip `slot` (0 left, 1 middle, 2 right)."""

    event_id: str
    impression_id: str
    slot: int
    word: str


@dataclass(frozen=True)
class Message:
    """A committed message: the device's typing history."""

    event_id: str
    text: str


Event = Union[Impression, Click, Message, QueryImpression, QueryClick]


@dataclass(frozen=True)
class StoredMessage:
    text: str
    time: str


@dataclass(frozen=True)
class StoredImpression:
    """A suggestion strip as logged: when, at which caret position, the words best first."""

    time: str
    position: int
    suggestions: tuple[str, ...]


@dataclass(frozen=True)
class DeviceHistory:
    """One device's whole log, each list in the order it was logged."""

    device_id: str
    messages: list[StoredMessage]
    impressions: list[StoredImpression]
    clicks: int


@dataclass(frozen=True)
class DeviceStats:
    """The counts of the "on this device" panel."""

    messages: int
    impressions: int
    clicks: int
    query_impressions: int = 0
    query_clicks: int = 0

    @property
    def click_through_rate(self) -> float:
        """Taps per suggestion strip shown (0 before any strip was shown)."""
        return self.clicks / self.impressions if self.impressions else 0.0

    @property
    def query_click_through_rate(self) -> float:
        """Query chips tapped per chip shown (0 before any chip was shown)."""
        return self.query_clicks / self.query_impressions if self.query_impressions else 0.0


def check_device_id(device_id: str) -> str:
    """Returns `device_id` if it is a valid device id, else raises ValueError."""
    if not isinstance(device_id, str) or not DEVICE_ID_PATTERN.fullmatch(device_id):
        raise ValueError(f"invalid device id {device_id!r}: use 1-32 characters of a-z, 0-9, "
                         "'_' or '-'")
    return device_id


def utc_now() -> str:
    """Returns the current UTC time as ISO 8601 with milliseconds and a Z."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class DeviceLog:
    """One device's SQLite file.

    Thread-safe: one connection, used under a lock (SQLite serializes writers anyway, and the
    lock keeps writers of this process from polling SQLite's busy timeout).
    """

    def __init__(self, path: str | os.PathLike, *, clock: Callable[[], str] = utc_now):
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(self.path, isolation_level=None,
                                           check_same_thread=False, timeout=BUSY_SECONDS)
        enable_wal(self._connection)
        # WAL + NORMAL: a commit survives a crash of the app; only power loss may drop the last.
        self._connection.execute("PRAGMA synchronous=NORMAL")
        with self._transaction() as cursor:
            version = cursor.execute("PRAGMA user_version").fetchone()[0]
            if version > _SCHEMA_VERSION:
                raise ValueError(f"{self.path}: device log schema version {version}; this code "
                                 f"reads up to {_SCHEMA_VERSION} (update the code)")
            # Version 1 -> 2 only adds tables: nothing stored is rewritten.
            for statement in (_SCHEMA if version == 0 else ()) + device_queries.SCHEMA_V2:
                cursor.execute(statement)
            cursor.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        """Runs a write transaction; rolls it back if the block raises."""
        with self._lock:
            cursor = self._connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield cursor
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")

    def record(self, events: Sequence[Event]) -> int:
        """Stores `events` in one transaction; returns how many were new (not seen ids)."""
        now = self._clock()
        stored = 0
        with self._transaction() as cursor:
            for event in events:
                cursor.execute(*_insert_statement(event, now))
                stored += cursor.rowcount
        return stored

    def stats(self) -> DeviceStats:
        with self._lock:
            row = self._connection.execute(
                "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM impressions),"
                " (SELECT COUNT(*) FROM clicks)").fetchone()
            shown, tapped = device_queries.query_counts(self._connection)
        return DeviceStats(messages=row[0], impressions=row[1], clicks=row[2],
                           query_impressions=shown, query_clicks=tapped)

    def recent_queries(self, limit: int) -> list[tuple[str, bool]]:
        """The last `limit` query chips shown, oldest first: (candidate, tapped)."""
        with self._lock:
            return device_queries.recent_queries(self._connection, limit)

    def query_impressions(self) -> list[ImpressionRecord]:
        """Every query chip shown, in order, as impression records: user id the device,
        timestamp its local time with UTC offset, clicked whether a tap is logged."""
        with self._lock:
            return device_queries.impression_records(self._connection, self.path.stem)

    def messages(self, limit: int | None = None) -> list[StoredMessage]:
        """Returns the committed messages, oldest first (only the last `limit` if given)."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT text, time FROM (SELECT id, text, time FROM messages"
                " ORDER BY time DESC, id DESC LIMIT ?) ORDER BY time, id",
                (-1 if limit is None else limit,)).fetchall()
        return [StoredMessage(text, time) for text, time in rows]

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def _insert_statement(event: Event, time: str) -> tuple[str, tuple]:
    if isinstance(event, (QueryImpression, QueryClick)):
        return device_queries.insert_statement(event, time)
    if isinstance(event, Impression):
        return ("INSERT OR IGNORE INTO impressions"
                " (event_id, time, model_version, position, suggestions) VALUES (?, ?, ?, ?, ?)",
                (event.event_id, time, event.model_version, event.position,
                 json.dumps(list(event.suggestions), ensure_ascii=False)))
    if isinstance(event, Click):
        return ("INSERT OR IGNORE INTO clicks (event_id, time, impression_id, slot, word)"
                " VALUES (?, ?, ?, ?, ?)",
                (event.event_id, time, event.impression_id, event.slot, event.word))
    if isinstance(event, Message):
        return ("INSERT OR IGNORE INTO messages (event_id, time, text) VALUES (?, ?, ?)",
                (event.event_id, time, event.text))
    raise TypeError(f"not a device event: {event!r}")


class DeviceStore:
    """The data directory: opens each device's log once and hands it out (thread-safe)."""

    def __init__(self, data_dir: str | os.PathLike, *, clock: Callable[[], str] = utc_now):
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._logs: dict[str, DeviceLog] = {}
        self._lock = threading.Lock()

    def device(self, device_id: str) -> DeviceLog:
        """Returns the log of `device_id` (created on first use); ValueError if invalid."""
        check_device_id(device_id)
        with self._lock:
            log = self._logs.get(device_id)
            if log is None:
                log = DeviceLog(self.data_dir / f"{device_id}{STORE_SUFFIX}", clock=self._clock)
                self._logs[device_id] = log
        return log

    def device_dir(self, device_id: str) -> Path:
        """Returns the directory of the device's other on-device state (its personal model and
        word cache), `DATA_DIR/<device id>/`, created on first use; ValueError if invalid.
        Nothing in it is exported: it never leaves the device."""
        directory = self.data_dir / check_device_id(device_id)
        directory.mkdir(exist_ok=True)
        return directory

    def device_ids(self) -> list[str]:
        """Returns the ids of every device with a file in the data directory, sorted."""
        return sorted(path.name[: -len(STORE_SUFFIX)]
                      for path in self.data_dir.glob(f"*{STORE_SUFFIX}")
                      if DEVICE_ID_PATTERN.fullmatch(path.name[: -len(STORE_SUFFIX)]))

    def close(self) -> None:
        with self._lock:
            for log in self._logs.values():
                log.close()
            self._logs.clear()


def export_device_records(data_dir: str | os.PathLike) -> list[TypingRecord]:
    """Returns every device's committed messages as typing-history records.

    The device id is the `user_id`, timestamps are ISO 8601 UTC with a Z; records are
    chronological per device and devices come in sorted order. Safe while the app runs.
    """
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"{data_dir}: no such device data directory")
    store = DeviceStore(data_dir)
    try:
        return [TypingRecord(user_id=device_id, text=message.text, timestamp=message.time)
                for device_id in store.device_ids()
                for message in store.device(device_id).messages()]
    finally:
        store.close()


def export_device_impressions(data_dir: str | os.PathLike) -> list[ImpressionRecord]:
    """Returns every device's query chips as impression records, devices sorted, chips in the
    order shown (see `DeviceLog.query_impressions`). Safe while the app runs.

    Raises:
        FileNotFoundError / ValueError: no such directory / a stored chip no record may hold.
    """
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"{data_dir}: no such device data directory")
    store = DeviceStore(data_dir)
    try:
        return [record for device_id in store.device_ids()
                for record in store.device(device_id).query_impressions()]
    finally:
        store.close()


def read_device_histories(data_dir: str | os.PathLike) -> list[DeviceHistory]:
    """Returns every device's log, devices in sorted order, read through read-only connections
    (a report never changes a log)."""
    data_dir = Path(data_dir)
    store = DeviceStore(data_dir)
    try:
        device_ids = store.device_ids()
    finally:
        store.close()
    histories = []
    for device_id in device_ids:
        uri = (data_dir / f"{device_id}{STORE_SUFFIX}").resolve().as_uri() + "?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            messages = [StoredMessage(text, time) for time, text in connection.execute(
                "SELECT time, text FROM messages ORDER BY time, id")]
            impressions = [StoredImpression(time, position, tuple(json.loads(words)))
                           for time, position, words in connection.execute(
                               "SELECT time, position, suggestions FROM impressions"
                               " ORDER BY time, id")]
            clicks = connection.execute("SELECT COUNT(*) FROM clicks").fetchone()[0]
        histories.append(DeviceHistory(device_id, messages, impressions, clicks))
    return histories
