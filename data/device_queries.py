"""The query-suggestion part of a device's log (schema version 2): chips shown and tapped.

`data.device_logs.DeviceLog` owns the file and its connection; this module holds the SQL of the
two tables it added in version 2, which `DeviceLog` runs, and how a log file is opened
(`enable_wal`):

- ``query_impressions``: one row per chip shown, with what the triggering features need: the
  UTC time and the device's UTC offset then (the local hour), the words typed before it
  (``context``), how many (``position``), the query (``candidate``), the baseline's score and
  the triggering model's version.
- ``query_clicks``: one row per chip tapped, keyed by the impression's event id. An impression
  without a tap is a chip the user ignored: label 0.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta, timezone

from data.impressions import ImpressionRecord
from data.records import parse_timestamp

# How long a writer waits for another connection (thread or process) to release the file.
BUSY_SECONDS = 10.0
# Real UTC offsets lie in -12:00..+14:00.
MAX_UTC_OFFSET_MINUTES = 14 * 60
SCHEMA_V2 = (
    """CREATE TABLE IF NOT EXISTS query_impressions (
        id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT NULL,
        utc_offset_minutes INTEGER NOT NULL, context TEXT NOT NULL, candidate TEXT NOT NULL,
        position INTEGER NOT NULL, baseline_score REAL NOT NULL, model_version TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS query_clicks (
        id INTEGER PRIMARY KEY, event_id TEXT NOT NULL UNIQUE, time TEXT NOT NULL,
        impression_id TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS query_clicks_impression ON query_clicks (impression_id)",
)
_CLICKED = "EXISTS (SELECT 1 FROM query_clicks c WHERE c.impression_id = q.event_id)"


@dataclass(frozen=True)
class QueryImpression:
    """A query chip shown: `candidate` after the words `context` (`position` of them), with
    the baseline's score, at the device's UTC offset, by triggering model `model_version`."""

    event_id: str
    model_version: str
    context: str
    candidate: str
    position: int
    baseline_score: float
    utc_offset_minutes: int


@dataclass(frozen=True)
class QueryClick:
    """A tapped query chip: the id of its `QueryImpression`."""

    event_id: str
    impression_id: str


def enable_wal(connection: sqlite3.Connection) -> None:
    """Switches the file to WAL mode, waiting up to `BUSY_SECONDS` for other connections.

    Changing the journal mode needs the file to itself, and SQLite reports a busy file at
    once here instead of calling its busy handler, so two connections opening a new file at
    the same moment would fail: retry with a short, growing pause instead.
    """
    deadline = time.monotonic() + BUSY_SECONDS
    pause = 0.005
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.2)


def insert_statement(event: QueryImpression | QueryClick, utc_time: str) -> tuple[str, tuple]:
    """The INSERT of one event (a repeated event id is ignored)."""
    if isinstance(event, QueryImpression):
        return ("INSERT OR IGNORE INTO query_impressions (event_id, time, utc_offset_minutes,"
                " context, candidate, position, baseline_score, model_version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (event.event_id, utc_time, event.utc_offset_minutes, event.context, event.candidate,
                 event.position, event.baseline_score, event.model_version))
    return ("INSERT OR IGNORE INTO query_clicks (event_id, time, impression_id) VALUES (?, ?, ?)",
            (event.event_id, utc_time, event.impression_id))


def query_counts(connection: sqlite3.Connection) -> tuple[int, int]:
    """(chips shown, chips tapped); a tap counts once, and only if its impression is logged."""
    return connection.execute(
        f"SELECT COUNT(*), COALESCE(SUM({_CLICKED}), 0) FROM query_impressions q").fetchone()


def recent_queries(connection: sqlite3.Connection, limit: int) -> list[tuple[str, bool]]:
    """The last `limit` chips shown, oldest first: (candidate, tapped)."""
    rows = connection.execute(
        f"SELECT candidate, {_CLICKED} FROM query_impressions q ORDER BY q.id DESC LIMIT ?",
        (limit,)).fetchall()
    return [(candidate, bool(clicked)) for candidate, clicked in reversed(rows)]


def local_timestamp(utc_time: str, offset_minutes: int) -> str:
    """A stored UTC time as ISO 8601 in the device's local time, with its offset."""
    zone = timezone(timedelta(minutes=offset_minutes))
    return parse_timestamp(utc_time).astimezone(zone).isoformat(timespec="milliseconds")


def impression_records(connection: sqlite3.Connection, device_id: str) -> list[ImpressionRecord]:
    """The device's chips as impression records (`data.impressions`), in the order shown.

    Raises:
        ValueError: a stored row no record may hold, naming the device and the event id.
    """
    rows = connection.execute(
        "SELECT event_id, time, utc_offset_minutes, context, candidate, position,"
        f" baseline_score, {_CLICKED} FROM query_impressions q ORDER BY q.id").fetchall()
    records = []
    for event_id, utc_time, offset, context, candidate, position, score, clicked in rows:
        try:
            records.append(ImpressionRecord(
                user_id=device_id, timestamp=local_timestamp(utc_time, offset), context=context,
                candidate=candidate, position=position, baseline_score=score,
                clicked=bool(clicked)))
        except (ValueError, OverflowError) as error:
            raise ValueError(f"device {device_id}, query impression {event_id}: {error}") from None
    return records
