"""The impression log format: JSONL, UTF-8, one shown query suggestion per line.

A line looks like ``{"user_id": "u00042", "timestamp": "2026-03-01T18:15:00Z",
"context": "i'm making lasagna", "candidate": "how to make lasagna", "position": 3,
"baseline_score": 0.61, "clicked": false}``:

- ``user_id``: who saw it (non-empty string).
- ``timestamp``: when it was shown, ISO 8601; its own UTC offset gives the hour of day that
  the triggering model sees (the simulator writes UTC, a phone would write local time).
- ``context``: the words typed in the message before it was shown (may be empty).
- ``candidate``: the suggested query (non-empty).
- ``position``: how many words of the message were typed when it was shown (int >= 0).
- ``baseline_score``: the baseline's score of the candidate for the context (finite, >= 0).
- ``clicked``: whether the user tapped it (a JSON boolean: the label, so never guessed).
- ``click_probability``: optional, simulation only: the true probability the click was drawn
  with, for an oracle in reports. Never a feature.

Lines of one user are in the order shown (chronological), which the history features rely on.
Bad lines are reported as ``FILE:LINE: what is wrong``, as `data.records` does, and a file with
any is refused unless asked to skip them.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Container, Iterable
from dataclasses import dataclass
from typing import Any, Optional

from data.records import BadRecordError, PathLike, parse_timestamp, read_json_lines
from model.atomic_files import atomic_writer

IMPRESSIONS_SUFFIX = ".impressions.jsonl"
SEARCHES_SUFFIX = ".searches.jsonl"
_REQUIRED = ("user_id", "timestamp", "context", "candidate", "position", "baseline_score",
             "clicked")
_EXAMPLE_LINE = ('{"user_id": "u1", "timestamp": "2026-03-01T18:15:00Z", "context": "making '
                 'lasagna", "candidate": "how to make lasagna", "position": 2, '
                 '"baseline_score": 0.6, "clicked": false}')


@dataclass(frozen=True)
class ImpressionRecord:
    """One query suggestion shown to one user (see the module docstring for each field)."""

    user_id: str
    timestamp: str
    context: str
    candidate: str
    position: int
    baseline_score: float
    clicked: bool
    click_probability: Optional[float] = None

    def __post_init__(self) -> None:
        # Validating here means no writer can produce a file the reader would refuse.
        problem = impression_problem(self.__dict__)
        if problem:
            raise ValueError(f"invalid ImpressionRecord: {problem}")

    @property
    def hour(self) -> int:
        """The hour of day (0-23) in the timestamp's own offset."""
        return parse_timestamp(self.timestamp).hour

    def to_json(self) -> str:
        """One compact JSON line (no newline); `click_probability` omitted when None."""
        fields: dict[str, Any] = {
            "user_id": self.user_id, "timestamp": self.timestamp, "context": self.context,
            "candidate": self.candidate, "position": self.position,
            "baseline_score": self.baseline_score, "clicked": self.clicked,
        }  # fmt: skip
        if self.click_probability is not None:
            fields["click_probability"] = self.click_probability
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def impressions_path(histories_path: PathLike) -> str:
    """The impression log beside a typing-history file: ``h.jsonl`` -> ``h.impressions.jsonl``.

    The one place that names it, so the generator, the trainer and the report agree.
    """
    return _stem(histories_path) + IMPRESSIONS_SUFFIX


def searches_path(histories_path: PathLike) -> str:
    """The search queries written beside a typing-history file: ``h.searches.jsonl``.

    A typing-history file itself (`data.records` format): the messages typed into a search box,
    which the query-candidate baseline is built from. The history format has no field saying
    which messages were searches, and adding one would change every history file's bytes.
    """
    return _stem(histories_path) + SEARCHES_SUFFIX


def _stem(path: PathLike) -> str:
    name = os.fspath(path)
    return name[: -len(".jsonl")] if name.endswith(".jsonl") else name


def _is_number(value: Any) -> bool:
    # JSON true/false arrive as bool, a subclass of int: they are not numbers here.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def impression_problem(fields: dict[str, Any]) -> Optional[str]:
    """What is wrong with one impression's fields (a parsed JSON object), or None."""
    for key in _REQUIRED:
        if key not in fields:
            return f'missing key "{key}"'
    for key in ("user_id", "timestamp", "context", "candidate"):
        if not isinstance(fields[key], str):
            return f'"{key}" must be a string, got {_type_name(fields[key])}'
    for key in ("user_id", "candidate"):
        if not fields[key].strip():
            return f'"{key}" is empty'
    try:
        parse_timestamp(fields["timestamp"])
    except ValueError:
        # fromisoformat refuses impossible times too: hour 24, minute 60, February 30.
        return f'"timestamp" is not a valid ISO 8601 time, got {fields["timestamp"]!r}'
    position = fields["position"]
    if not _is_number(position) or position != int(position) or position < 0:
        return f'"position" must be an integer >= 0, got {position!r}'
    score = fields["baseline_score"]
    if not _is_number(score) or not math.isfinite(score) or score < 0:
        return f'"baseline_score" must be a finite number >= 0, got {score!r}'
    if not isinstance(fields["clicked"], bool):
        return f'"clicked" must be true or false, got {json.dumps(fields["clicked"])}'
    probability = fields.get("click_probability")
    if probability is not None and not (_is_number(probability) and 0 <= probability <= 1):
        return f'"click_probability" must be a number in [0, 1], got {probability!r}'
    return None


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def parse_impression(
    line: str, where: str, *, candidates: Optional[Container[str]] = None
) -> ImpressionRecord:
    """Parses one JSONL line.

    Args:
        line: The decoded line, without its newline.
        where: ``FILE:LINE``, the prefix of error messages.
        candidates: If given, the candidate must be one of these (e.g. a `QueryIndex`).

    Raises:
        BadRecordError: ``FILE:LINE: what is wrong``.
    """
    try:
        value = json.loads(line)
    except json.JSONDecodeError as error:
        raise BadRecordError(f"{where}: not valid JSON ({error.msg})") from None
    if not isinstance(value, dict):
        raise BadRecordError(f"{where}: expected a JSON object, got {_type_name(value)}")
    problem = impression_problem(value)
    if problem:
        raise BadRecordError(f"{where}: {problem}")
    if candidates is not None and value["candidate"] not in candidates:
        raise BadRecordError(f'{where}: unknown candidate {value["candidate"]!r} (not in the '
                             "candidate index)")
    return ImpressionRecord(
        user_id=value["user_id"], timestamp=value["timestamp"], context=value["context"],
        candidate=value["candidate"], position=int(value["position"]),
        baseline_score=float(value["baseline_score"]), clicked=value["clicked"],
        click_probability=(None if value.get("click_probability") is None
                           else float(value["click_probability"])),
    )  # fmt: skip


@dataclass(frozen=True)
class LoadedImpressions:
    """What `read_impressions` found.

    Attributes:
        impressions: The good impressions, in file order.
        problems: ``FILE:LINE: what is wrong`` for every skipped line (empty unless skip_bad).
    """

    impressions: list[ImpressionRecord]
    problems: list[str]


def read_impressions(
    path: PathLike, *, skip_bad: bool = False, candidates: Optional[Container[str]] = None
) -> LoadedImpressions:
    """Reads an impression log; blank lines are ignored.

    Args:
        path: The JSONL file.
        skip_bad: Skip bad lines instead of refusing the file.
        candidates: If given, refuse candidates not in it (see `parse_impression`).

    Returns:
        The impressions in file order and the problems of skipped lines.

    Raises:
        FileNotFoundError: No such file.
        BadRecordsError: Some lines are bad and `skip_bad` is False; lists ``FILE:LINE``s.
        ValueError: The file holds no impressions.
    """
    impressions, problems = read_json_lines(
        path, lambda line, where: parse_impression(line, where, candidates=candidates),
        skip_bad=skip_bad, missing="no such impression log (expected JSONL impressions)",
        empty="no impressions", example=_EXAMPLE_LINE)
    return LoadedImpressions(impressions, problems)


def write_impressions(path: PathLike, impressions: Iterable[ImpressionRecord]) -> int:
    """Writes impressions as JSONL, atomically; returns how many."""
    count = 0
    with atomic_writer(path) as stream:
        for impression in impressions:
            if not isinstance(impression, ImpressionRecord):
                raise TypeError(f"expected ImpressionRecord, got {type(impression).__name__}")
            stream.write(impression.to_json())
            stream.write("\n")
            count += 1
    return count


def group_impressions_by_user(
    impressions: Iterable[ImpressionRecord],
) -> dict[str, list[ImpressionRecord]]:
    """Groups by user, keeping first-seen user order and each user's impression order."""
    by_user: dict[str, list[ImpressionRecord]] = {}
    for impression in impressions:
        by_user.setdefault(impression.user_id, []).append(impression)
    return by_user
