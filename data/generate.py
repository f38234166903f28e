"""Command line: generate simulated per-user keyboard histories as JSONL.

    python -m data.generate --users 1000 --seed 0 --out runs/histories.jsonl [--alpha 0.3]

Same arguments, same bytes. Prints one summary line; a progress bar goes to stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Optional

from tqdm import tqdm

from data.records import TypingRecord, write_records
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records


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
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Runs the command; returns the exit status (argument errors exit with status 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.users < 1:
        parser.error(f"--users must be >= 1, got {args.users}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
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
        )
    except ValueError as error:
        parser.error(str(error))

    # Imported here: the tokenizer is the model's (one source of truth for what a word is).
    from model.tokenizer import tokenize

    started = time.perf_counter()
    words: set[str] = set()
    with tqdm(total=config.users, unit="user", file=sys.stderr, disable=args.quiet) as bar:

        def counted(records: Iterator[TypingRecord]) -> Iterator[TypingRecord]:
            for record in records:
                words.update(tokenize(record.text))
                yield record

        records = generate_records(config, on_user=lambda _profile: bar.update())
        count = write_records(args.out, counted(records))
    seconds = time.perf_counter() - started
    print(
        f"wrote {args.out}: {config.users} users, {count} messages, {len(words)} distinct words, "
        f"{seconds:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
