"""The typing-history record format: JSONL, UTF-8, one typed message per line.

A line looks like ``{"user_id": "u00042", "text": "how to make sourdough bread",
"timestamp": "2026-03-01T08:15:00Z"}``.
``user_id`` and ``text`` are required non-empty strings, ``timestamp`` is an optional ISO 8601
string, ``topic`` an optional string (the simulated interest a message came from). Other keys are
ignored, so people can bring their own per-user text with extra fields.

Bad lines are reported as ``FILE:LINE: what is wrong``; the reader refuses a file that has any,
unless asked to skip them, because silently training on half a file hides real mistakes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional, TypeVar, Union

from model.atomic_files import atomic_writer

PathLike = Union[str, "os.PathLike[str]"]

# How many problems a refusal message lists before summarising the rest.
_PROBLEMS_SHOWN = 5
T = TypeVar("T")
_EXAMPLE_LINE = '{"user_id": "u00042", "text": "how to make sourdough bread"}'


@dataclass(frozen=True)
class TypingRecord:
    """One typed message of one user.

    Attributes:
        user_id: Who typed it (non-empty).
        text: What was typed (non-empty, not only whitespace).
        timestamp: When, as ISO 8601 (e.g. ``2026-03-01T08:15:00Z``), if known.
        topic: The simulated interest the message came from, if generated.
    """

    user_id: str
    text: str
    timestamp: Optional[str] = None
    topic: Optional[str] = None

    def __post_init__(self) -> None:
        # Validating here means no writer can produce a file the reader would refuse.
        problem = _record_problem(self.__dict__)
        if problem:
            raise ValueError(f"invalid TypingRecord: {problem}")

    def to_json(self) -> str:
        """Returns the record as one compact JSON line (no newline), None fields omitted."""
        fields: dict[str, str] = {"user_id": self.user_id, "text": self.text}
        if self.timestamp is not None:
            fields["timestamp"] = self.timestamp
        if self.topic is not None:
            fields["topic"] = self.topic
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


class BadRecordError(ValueError):
    """One bad line; the message is ``FILE:LINE: what is wrong``."""


class BadRecordsError(ValueError):
    """A file with bad lines was read without ``skip_bad``.

    Attributes:
        problems: Every ``FILE:LINE: what is wrong`` message, in file order.
    """

    def __init__(self, path: str, problems: list[str]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in problems[:_PROBLEMS_SHOWN])
        more = len(problems) - _PROBLEMS_SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        noun = "bad record" if len(problems) == 1 else "bad records"
        super().__init__(
            f"{path}: {len(problems)} {noun}; fix the file or pass --skip-bad-records "
            f"to skip them:\n{shown}{tail}"
        )


@dataclass(frozen=True)
class LoadedRecords:
    """What `read_records` found.

    Attributes:
        records: The good records, in file order.
        problems: ``FILE:LINE: what is wrong`` for every skipped line (empty unless skip_bad).
    """

    records: list[TypingRecord]
    problems: list[str]


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp as a time-zone-aware datetime (naive times are taken as UTC).

    Raises:
        ValueError: `value` is not ISO 8601.
    """
    # fromisoformat on Python < 3.11 does not accept a trailing "Z"; it means UTC.
    candidate = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    moment = datetime.fromisoformat(candidate)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _is_iso8601(value: str) -> bool:
    try:
        parse_timestamp(value)
    except ValueError:
        return False
    return True


def _field_problem(key: str, value: Any, *, required: bool) -> Optional[str]:
    """Returns what is wrong with one field's value, or None if it is fine."""
    if value is None and not required:
        return None
    if not isinstance(value, str):
        return f'"{key}" must be a string, got {_type_name(value)}'
    if required and not value.strip():
        return f'"{key}" is empty'
    if key == "timestamp" and not _is_iso8601(value):
        return f'"timestamp" is not ISO 8601, got {value!r}'
    return None


def _record_problem(fields: Mapping[str, Any]) -> Optional[str]:
    """What is wrong with a record's fields (the first problem), or None."""
    for key, required in (("user_id", True), ("text", True), ("timestamp", False),
                          ("topic", False)):
        problem = _field_problem(key, fields.get(key), required=required)
        if problem:
            return problem
    return None


def _shared(value: Any) -> Any:
    """`value`, one copy per distinct string: the user ids and topics repeated on every line."""
    return sys.intern(value) if isinstance(value, str) else value


def parse_record(line: str, where: str) -> TypingRecord:
    """Parses one JSONL line into a record.

    Args:
        line: The decoded line, without its newline.
        where: ``FILE:LINE`` used as the prefix of error messages.

    Raises:
        BadRecordError: ``FILE:LINE: what is wrong``.
    """
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadRecordError(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise BadRecordError(f"{where}: expected a JSON object, got {_type_name(value)}")
    for key in ("user_id", "text"):
        if key not in value:
            raise BadRecordError(f'{where}: missing key "{key}"')
    try:  # The record validates itself: each field is checked once.
        return TypingRecord(
            user_id=_shared(value["user_id"]),
            text=value["text"],
            timestamp=value.get("timestamp"),
            topic=_shared(value.get("topic")),
        )
    except ValueError:
        raise BadRecordError(f"{where}: {_record_problem(value)}") from None


def read_json_lines(path: PathLike, parse: Callable[[str, str], T], *, skip_bad: bool,
                    missing: str, empty: str, example: str) -> tuple[list[T], list[str]]:
    """Parses every non-blank line of a UTF-8 JSONL file with `parse(line, "FILE:LINE")`.

    `parse` raises BadRecordError for a bad line. Returns the parsed lines in file order and
    the problems of the skipped ones.

    Raises:
        FileNotFoundError: no such file (the message ends with `missing`).
        BadRecordsError: some lines are bad and `skip_bad` is False; lists their FILE:LINEs.
        ValueError: no line parsed (the message names `empty` and shows `example`).
    """
    name = os.fspath(path)
    if not os.path.isfile(name):
        raise FileNotFoundError(f"{name}: {missing}")
    parsed: list[T] = []
    problems: list[str] = []
    with open(name, "rb") as stream:
        for number, raw in enumerate(stream, start=1):
            where = f"{name}:{number}"
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # Editors on Windows add a byte-order mark.
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                problems.append(f"{where}: not UTF-8 (byte {error.start + 1} of the line)")
                continue
            if not line.strip():
                continue
            try:
                parsed.append(parse(line.rstrip("\r\n"), where))
            except BadRecordError as error:
                problems.append(str(error))
    if problems and not skip_bad:
        raise BadRecordsError(name, problems)
    if not parsed:
        skipped = f" ({len(problems)} bad lines skipped)" if problems else ""
        raise ValueError(f"{name}: {empty}{skipped}; expected one JSON object per line like "
                         f"{example}")
    return parsed, problems


def read_records(path: PathLike, *, skip_bad: bool = False) -> LoadedRecords:
    """Reads a typing-history JSONL file.

    Blank lines are ignored. Every other line must be a valid record.

    Args:
        path: The JSONL file.
        skip_bad: Skip bad lines (listed in `LoadedRecords.problems`) instead of refusing.

    Returns:
        The records in file order and the problems of skipped lines.

    Raises:
        FileNotFoundError: The file does not exist.
        BadRecordsError: Some lines are bad and `skip_bad` is False.
        ValueError: The file holds no records.
    """
    records, problems = read_json_lines(
        path, parse_record, skip_bad=skip_bad, missing="no such typing-history file (expected "
        "JSONL records)", empty="no typing records", example=_EXAMPLE_LINE)
    return LoadedRecords(records=records, problems=problems)


def write_records(path: PathLike, records: Iterable[TypingRecord]) -> int:
    """Writes records as JSONL, atomically: the file appears complete or not at all.

    Args:
        path: Destination file; its directory must exist.
        records: The records, written in order.

    Returns:
        How many records were written.
    """
    count = 0
    with atomic_writer(path) as stream:
        for record in records:
            if not isinstance(record, TypingRecord):
                raise TypeError(f"expected TypingRecord, got {type(record).__name__}")
            stream.write(record.to_json())
            stream.write("\n")
            count += 1
    return count


def group_by_user(records: Iterable[TypingRecord]) -> dict[str, list[TypingRecord]]:
    """Groups records by user, keeping first-seen user order and each user's record order."""
    by_user: dict[str, list[TypingRecord]] = {}
    for record in records:
        by_user.setdefault(record.user_id, []).append(record)
    return by_user
