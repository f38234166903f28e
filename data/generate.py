"""Command line: generate simulated per-user keyboard histories as JSONL.

    python -m data.generate --users 1000 --seed 0 --out runs/histories.jsonl [--alpha 0.3]

Beside ``--out`` (``runs/histories.jsonl``) it writes, unless ``--no-impressions``:
``runs/histories.searches.jsonl``, the messages typed as search queries (same record format,
same lines), and ``runs/histories.impressions.jsonl``, the query suggestions shown and whether
each was tapped (`data.impressions`). Names derive from ``--out`` (`data.impressions`), so the
files travel together and every reader finds them from the history file alone. The histories
are the same bytes with or without the other two: clicks draw from their own seeded streams.

Same arguments, same bytes. Prints one summary line; a progress bar goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Optional

from tqdm import tqdm

from data.impressions import impressions_path, searches_path
from data.records import TypingRecord, write_records
from data.synthetic.clicks import ClickConfig, generate_user_logs
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records
from model.atomic_files import atomic_writer


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (its --help documents every option)."""
    defaults = GenerationConfig(users=1, seed=0)
    parser = argparse.ArgumentParser(
        prog="python -m data.generate",
        description=(
            "Generate simulated per-user keyboard typing histories (JSONL, one message per line: "
            "user_id, text, timestamp, topic). Users mix a few interests with Dirichlet weights, "
            "type their own names and places, and have long-tailed amounts of data."
        ),
    )
    parser.add_argument("--users", type=int, required=True, help="number of users to simulate")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)"
    )
    parser.add_argument(
        "--out", required=True, help="output JSONL file; its directory must exist (overwritten)"
    )
    parser.add_argument(
        "--alpha",
        type=float,
        default=defaults.alpha,
        help="Dirichlet concentration of each user's interest mix: small values give users few "
        "interests each (strongly non-IID), large values similar mixes (default: %(default)s)",
    )
    parser.add_argument(
        "--mean-messages",
        type=float,
        default=defaults.mean_messages,
        help="average messages per user; the amount per user is long-tailed (default: %(default)s)",
    )
    parser.add_argument(
        "--habit-strength",
        type=float,
        default=defaults.habit_strength,
        help="mean share of a user's phrasing choices taken from their own favourites (their "
        "idiolect: 'omw' rather than 'on my way', every time), drawn per user around this "
        "mean and capped at 0.9; 0 turns habits off "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rare-name-share",
        type=float,
        default=defaults.rare_name_share,
        help="share of each user's friends and family with a name of their own, outside any "
        "shared vocabulary (default: %(default)s); with --habit-strength 0 and "
        "--rare-name-share 0 the output is the generator's first version's, byte for byte",
    )
    parser.add_argument(
        "--no-impressions",
        action="store_true",
        help="write only the typing histories, not the search queries and query-suggestion "
        "impressions beside them (faster)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="processes drawing the users' messages and clicks; the output is the same bytes "
        "with any number (default: the CPUs this process may use, %(default)s)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def default_jobs() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command; returns the exit status (argument errors exit with status 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error(f"--users must be >= 1, got {args.users}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1, got {args.jobs}")
    if not (math.isfinite(args.alpha) and args.alpha > 0):
        parser.error(f"--alpha must be a number > 0, got {args.alpha}")
    if not (math.isfinite(args.mean_messages) and args.mean_messages > 3):
        parser.error(f"--mean-messages must be > 3 (every user has 3), got {args.mean_messages}")
    directory = os.path.dirname(os.path.abspath(args.out))
    if os.path.isdir(args.out):
        parser.error(f"--out {args.out} is a directory; give a file name like histories.jsonl")
    if not os.path.isdir(directory):
        parser.error(f"--out directory {directory} does not exist; create it first")
    try:
        config = GenerationConfig(
            users=args.users,
            seed=args.seed,
            alpha=args.alpha,
            mean_messages=args.mean_messages,
            max_messages=max(2000, math.ceil(args.mean_messages)),
            habit_strength=args.habit_strength,
            rare_name_share=args.rare_name_share,
        )
    except ValueError as error:
        parser.error(str(error))

    # Imported here: the tokenizer is the model's (one source of truth for what a word is).
    from model.tokenizer import tokenize

    started = time.perf_counter()
    words: set[str] = set()
    shown = clicked = 0
    with tqdm(total=config.users, unit="user", file=sys.stderr, disable=args.quiet) as bar:
        if args.no_impressions:
            records = generate_records(config, on_user=lambda _profile: bar.update(),
                                       jobs=args.jobs)
            count = write_records(args.out, _counting_words(records, words, tokenize))
            # Logs of an earlier generation must not pass for these histories' logs.
            for stale in (searches_path(args.out), impressions_path(args.out)):
                Path(stale).unlink(missing_ok=True)
        else:
            with contextlib.ExitStack() as files:
                searches = files.enter_context(atomic_writer(searches_path(args.out)))
                impressions = files.enter_context(atomic_writer(impressions_path(args.out)))

                def records_writing_the_rest() -> Iterator[TypingRecord]:
                    nonlocal shown, clicked
                    logs = generate_user_logs(config, ClickConfig(), jobs=args.jobs,
                                              on_user=lambda _profile: bar.update())
                    for user in logs:
                        for record, style in zip(user.records, user.styles):
                            if style == "query":
                                searches.write(record.to_json() + "\n")
                        for impression in user.impressions:
                            impressions.write(impression.to_json() + "\n")
                            clicked += impression.clicked
                        shown += len(user.impressions)
                        yield from user.records

                count = write_records(
                    args.out, _counting_words(records_writing_the_rest(), words, tokenize))
    seconds = time.perf_counter() - started
    also = "" if args.no_impressions else (
        f", {shown} query suggestions shown, {clicked} tapped (beside it: "
        f"{os.path.basename(searches_path(args.out))}, "
        f"{os.path.basename(impressions_path(args.out))})")
    print(
        f"wrote {args.out}: {config.users} users, {count} messages, {len(words)} distinct words"
        f"{also}, {seconds:.1f} s"
    )
    return 0


def _counting_words(
    records: Iterable[TypingRecord], words: set[str], tokenize: Callable[[str], list[str]]
) -> Iterator[TypingRecord]:
    for record in records:
        words.update(tokenize(record.text))
        yield record


if __name__ == "__main__":
    sys.exit(main())
