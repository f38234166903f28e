"""The typing-history record format: round trips, bad lines with file:line, atomic writes."""

from __future__ import annotations

import json
import os

import pytest

from data.records import (
    BadRecordError,
    BadRecordsError,
    LoadedRecords,
    TypingRecord,
    group_by_user,
    parse_record,
    read_records,
    write_records,
)

GOOD = '{"user_id": "u00001", "text": "running late, see you at 7"}'


def write_lines(path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_to_json_is_compact_ordered_and_omits_none():
    record = TypingRecord(user_id="u00042", text="café at 7:30?", timestamp=None, topic="food")

    line = record.to_json()

    assert line == '{"user_id":"u00042","text":"café at 7:30?","topic":"food"}'


def test_round_trip_keeps_every_field(tmp_path):
    records = [
        TypingRecord("u00001", "how to make sourdough bread", "2026-03-01T08:15:00Z", "cooking"),
        TypingRecord("u00002", "I'm late 😅, don't wait"),
        TypingRecord("u00001", "do we still have ricotta?", "2026-03-01T09:00:00Z"),
    ]
    path = tmp_path / "h.jsonl"

    written = write_records(path, records)
    loaded = read_records(path)

    assert written == 3
    assert loaded == LoadedRecords(records=records, problems=[])


def test_reader_ignores_other_keys_and_blank_lines(tmp_path):
    path = write_lines(
        tmp_path / "h.jsonl",
        ["", '{"user_id": "u1", "text": "hi", "device": "pixel", "timestamp": "2026-03-01"}', "  "],
    )

    loaded = read_records(path)

    assert loaded.records == [TypingRecord("u1", "hi", "2026-03-01")]
    assert loaded.problems == []


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ('{"user_id": "u1" "text": "x"}', "not valid JSON (Expecting ',' delimiter)"),
        ('{"user_id": "u1"}', 'missing key "text"'),
        ('{"text": "hello"}', 'missing key "user_id"'),
        ('{"user_id": "u1", "text": 7}', '"text" must be a string, got int'),
        ('{"user_id": "u1", "text": null}', '"text" must be a string, got null'),
        ('{"user_id": "u1", "text": "   "}', '"text" is empty'),
        ('{"user_id": "", "text": "hi"}', '"user_id" is empty'),
        ('{"user_id": 42, "text": "hi"}', '"user_id" must be a string, got int'),
        (
            '{"user_id": "u1", "text": "hi", "timestamp": 5}',
            '"timestamp" must be a string, got int',
        ),
        (
            '{"user_id": "u1", "text": "hi", "timestamp": "yesterday"}',
            "\"timestamp\" is not ISO 8601, got 'yesterday'",
        ),
        ('{"user_id": "u1", "text": "hi", "topic": ["x"]}', '"topic" must be a string, got list'),
        ('["u1", "hi"]', "expected a JSON object, got list"),
    ],
)
def test_each_bad_record_kind_is_reported_with_file_and_line(tmp_path, line, problem):
    path = write_lines(tmp_path / "h.jsonl", [GOOD, "", line, GOOD])

    loaded = read_records(path, skip_bad=True)

    assert loaded.problems == [f"{path}:3: {problem}"]
    assert len(loaded.records) == 2


def test_parse_record_raises_bad_record_error_with_location():
    with pytest.raises(BadRecordError, match=r'^h\.jsonl:17: missing key "text"$'):
        parse_record('{"user_id": "u1"}', "h.jsonl:17")


def test_non_utf8_line_is_reported_with_its_line(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_bytes(GOOD.encode() + b'\n{"user_id": "u1", "text": "caf\xe9"}\n')

    loaded = read_records(path, skip_bad=True)

    assert loaded.problems == [f"{path}:2: not UTF-8 (byte 31 of the line)"]


def test_bad_lines_refuse_the_file_without_skip_bad(tmp_path):
    lines = [GOOD] + ['{"user_id": "u1"}'] * 7
    path = write_lines(tmp_path / "h.jsonl", lines)

    with pytest.raises(BadRecordsError) as caught:
        read_records(path)

    message = str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert message.startswith(f"{path}: 7 bad records; fix the file or pass --skip-bad-records")
    assert f'{path}:2: missing key "text"' in message
    assert f'{path}:6: missing key "text"' in message
    assert f"{path}:7:" not in message  # Only the first five are listed...
    assert "... and 2 more" in message  # ...and the rest are counted.
    assert len(caught.value.problems) == 7


def test_skip_bad_counts_skipped_lines(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", [GOOD, "{", GOOD, '{"text": "x"}'])

    loaded = read_records(path, skip_bad=True)

    assert [p.split(": ")[0] for p in loaded.problems] == [f"{path}:2", f"{path}:4"]
    assert len(loaded.records) == 2


def test_byte_order_mark_is_tolerated(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode() + b"\r\n")

    assert read_records(path).records == [TypingRecord("u00001", "running late, see you at 7")]


def test_empty_file_is_an_error(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", ["", " "])

    with pytest.raises(ValueError, match=r"h\.jsonl: no typing records"):
        read_records(path)


def test_file_of_only_bad_lines_with_skip_bad_has_no_records(tmp_path):
    path = write_lines(tmp_path / "h.jsonl", ["{", "[]"])

    with pytest.raises(ValueError, match=r"no typing records \(2 bad lines skipped\)"):
        read_records(path, skip_bad=True)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl: no such typing-history file"):
        read_records(tmp_path / "nope.jsonl")


def test_records_validate_their_fields():
    with pytest.raises(ValueError, match='"text" is empty'):
        TypingRecord("u1", " ")
    with pytest.raises(ValueError, match='"user_id" must be a string, got int'):
        TypingRecord(7, "hi")  # type: ignore[arg-type]


def test_write_is_atomic_when_the_records_fail_midway(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text("old content\n", encoding="utf-8")

    def records():
        yield TypingRecord("u1", "first")
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError, match="generator broke"):
        write_records(path, records())

    assert path.read_text(encoding="utf-8") == "old content\n"
    assert os.listdir(tmp_path) == ["h.jsonl"]


def test_write_rejects_non_records_and_leaves_nothing(tmp_path):
    with pytest.raises(TypeError, match="expected TypingRecord, got dict"):
        write_records(tmp_path / "h.jsonl", [{"user_id": "u1", "text": "hi"}])  # type: ignore[list-item]

    assert os.listdir(tmp_path) == []


def test_written_lines_are_json_objects_one_per_line(tmp_path):
    path = tmp_path / "h.jsonl"

    write_records(path, [TypingRecord("u1", "a\nb"), TypingRecord("u2", "c")])

    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["text"] for line in lines] == ["a\nb", "c"]


def test_group_by_user_keeps_first_seen_and_record_order():
    records = [TypingRecord(u, t) for u, t in [("b", "1"), ("a", "2"), ("b", "3"), ("c", "4")]]

    grouped = group_by_user(records)

    assert list(grouped) == ["b", "a", "c"]
    assert [r.text for r in grouped["b"]] == ["1", "3"]
