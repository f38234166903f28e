"""The impression log format: round trips, bad lines with file:line, companion file names."""

from __future__ import annotations

import json

import pytest

from data.impressions import (
    ImpressionRecord,
    LoadedImpressions,
    group_impressions_by_user,
    impressions_path,
    parse_impression,
    read_impressions,
    searches_path,
    write_impressions,
)
from data.records import BadRecordError, BadRecordsError

GOOD_FIELDS = {
    "user_id": "u1", "timestamp": "2026-03-01T18:15:00Z", "context": "making lasagna",
    "candidate": "how to make lasagna", "position": 2, "baseline_score": 0.6, "clicked": False,
}  # fmt: skip
GOOD = json.dumps(GOOD_FIELDS)


def line_with(**changes) -> str:
    fields = {**GOOD_FIELDS, **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not ...})


def write_lines(path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_to_json_is_compact_and_omits_a_missing_click_probability():
    shown = ImpressionRecord("u1", "2026-03-01T18:15:00Z", "", "weather today", 0, 0.5, True)

    assert shown.to_json() == (
        '{"user_id":"u1","timestamp":"2026-03-01T18:15:00Z","context":"","candidate":'
        '"weather today","position":0,"baseline_score":0.5,"clicked":true}'
    )


def test_round_trip_keeps_every_field_and_the_order(tmp_path):
    impressions = [
        ImpressionRecord("u2", "2026-03-01T08:00:00Z", "café", "café near me", 1, 0.9, True,
                         0.31),
        ImpressionRecord("u1", "2026-03-01T09:00:00+02:00", "so", "so what", 1, 0.0, False),
    ]
    path = tmp_path / "h.impressions.jsonl"

    written = write_impressions(path, impressions)

    assert written == 2
    assert read_impressions(path) == LoadedImpressions(impressions, [])


def test_hour_is_read_in_the_timestamps_own_offset():
    local = ImpressionRecord("u1", "2026-03-01T21:30:00+02:00", "", "x", 0, 0.1, False)

    assert local.hour == 21


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"clicked": ...}, 'missing key "clicked"'),
        ({"clicked": 1}, '"clicked" must be true or false, got 1'),
        ({"clicked": "yes"}, '"clicked" must be true or false, got "yes"'),
        ({"clicked": None}, '"clicked" must be true or false, got null'),
        ({"candidate": "  "}, '"candidate" is empty'),
        ({"candidate": 3}, '"candidate" must be a string, got int'),
        ({"user_id": ""}, '"user_id" is empty'),
        ({"timestamp": "2026-03-01T25:00:00Z"},
         "\"timestamp\" is not a valid ISO 8601 time, got '2026-03-01T25:00:00Z'"),
        ({"timestamp": "2026-02-30T10:00:00Z"},
         "\"timestamp\" is not a valid ISO 8601 time, got '2026-02-30T10:00:00Z'"),
        ({"position": -1}, '"position" must be an integer >= 0, got -1'),
        ({"position": 1.5}, '"position" must be an integer >= 0, got 1.5'),
        ({"position": True}, '"position" must be an integer >= 0, got True'),
        ({"baseline_score": "high"}, "\"baseline_score\" must be a finite number >= 0, got 'high'"),
        ({"click_probability": 1.5}, '"click_probability" must be a number in [0, 1], got 1.5'),
    ],
)
def test_each_bad_impression_is_reported_with_file_and_line(tmp_path, changes, problem):
    path = write_lines(tmp_path / "i.jsonl", [GOOD, "", line_with(**changes), GOOD])

    loaded = read_impressions(path, skip_bad=True)

    assert loaded.problems == [f"{path}:3: {problem}"]
    assert len(loaded.impressions) == 2


def test_unknown_candidates_are_refused_when_the_candidates_are_given(tmp_path):
    path = write_lines(tmp_path / "i.jsonl", [GOOD, line_with(candidate="tacos near me")])

    with pytest.raises(BadRecordsError) as caught:
        read_impressions(path, candidates={"how to make lasagna"})

    assert caught.value.problems == [
        f"{path}:2: unknown candidate 'tacos near me' (not in the candidate index)"
    ]


def test_parse_impression_raises_with_location():
    with pytest.raises(BadRecordError, match=r'^i\.jsonl:9: missing key "position"$'):
        parse_impression(line_with(position=...), "i.jsonl:9")


def test_a_file_without_impressions_is_refused(tmp_path):
    path = write_lines(tmp_path / "i.jsonl", ["", "  "])

    with pytest.raises(ValueError, match="no impressions; expected one JSON object per line"):
        read_impressions(path)


def test_a_writer_cannot_produce_a_line_the_reader_refuses():
    with pytest.raises(ValueError, match='"clicked" must be true or false, got 1'):
        ImpressionRecord("u1", "2026-03-01T18:15:00Z", "", "x", 0, 0.5, 1)  # type: ignore


def test_companion_files_are_named_from_the_history_file():
    assert impressions_path("runs/demo/histories.jsonl") == "runs/demo/histories.impressions.jsonl"
    assert searches_path("runs/demo/histories.jsonl") == "runs/demo/histories.searches.jsonl"
    assert impressions_path("data.txt") == "data.txt.impressions.jsonl"


def test_group_by_user_keeps_first_seen_order():
    a1, b1, a2 = (ImpressionRecord(u, "2026-03-01T10:00:00Z", "", q, 0, 0.5, False)
                  for u, q in (("a", "x"), ("b", "y"), ("a", "z")))

    assert group_impressions_by_user([a1, b1, a2]) == {"a": [a1, a2], "b": [b1]}
