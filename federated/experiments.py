"""Train a suite of runs that each change one thing about a benign run, then report them
together (`python -m federated.report BENIGN_RUN --compare ...`).

    python -m federated.experiments robustness --data runs/demo/histories.jsonl \\
        --out runs/experiments/robustness
    python -m federated.experiments privacy --data histories-10k.jsonl --out runs/privacy
    python -m federated.experiments recipe --data runs/shakespeare/histories.jsonl \\
        --out runs/recipe/shakespeare

Suites:
  robustness  attacks (10% boosting or backdoor clients) against each defence, dropout,
              eligibility and compressed uploads, on the demo data (1,000 users, 20 clients
              a round; 100 rounds of 3 local epochs: the same examples as the demo's 300
              rounds of 1, at a third of the rounds)
  privacy     user-level DP with 100 clients a round, for a population where the noise is
              meaningful (10,000 users): no DP, DP-FedAvg at noise multipliers 0.05, 0.1,
              0.2, 0.5, 1 and 2, DP-FTRL (tree) at 1, and DP-FedAvg at 0.2 with 200
              clients a round (the check of `python -m federated.privacy_at_scale`)
  recipe      the protocol that chooses the trainer's settings, the same for every data set:
              the defaults against each alternative, all scored on validation users
              (--validation: the held-out users are never scored; docs/tuning.md)

Each run is `python -m federated.train` in a process of its own. A run whose summary.json
already records the suite's settings is reused, an interrupted one resumes (`--resume`), so
running the suite again continues where it stopped. The report goes to OUT/<benign>/report.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from federated.train import build_parser as train_parser
from federated.train import config_from_args
from federated.training.config import TrainConfig
from federated.training.run_dir import RunDir

BENIGN = "benign"
_ATTACK = ("--malicious-fraction", "0.1")


@dataclass(frozen=True)
class Suite:
    """Runs that share `common` training arguments; each adds its own to them."""

    common: tuple[str, ...]
    runs: Mapping[str, tuple[str, ...]]  # Name -> its own arguments; BENIGN adds none.


SUITES = {
    "robustness": Suite(
        common=("--rounds", "100", "--clients-per-round", "20", "--local-epochs", "3",
                "--seed", "1", "--eval-every", "20"),
        runs={
            BENIGN: (),
            "boost-mean": ("--attack", "boost", *_ATTACK, "--aggregator", "mean"),
            "boost-robust": ("--attack", "boost", *_ATTACK),
            "boost-median": ("--attack", "boost", *_ATTACK, "--aggregator", "median"),
            "boost-similarity-filter": ("--attack", "boost", *_ATTACK,
                                        "--aggregator", "similarity-filter"),
            "backdoor-mean": ("--attack", "backdoor", *_ATTACK, "--aggregator", "mean"),
            "backdoor-robust": ("--attack", "backdoor", *_ATTACK),
            "backdoor-median": ("--attack", "backdoor", *_ATTACK, "--aggregator", "median"),
            "backdoor-trimmed-mean": ("--attack", "backdoor", *_ATTACK,
                                      "--aggregator", "trimmed-mean"),
            "backdoor-median-buckets": ("--attack", "backdoor", *_ATTACK,
                                        "--aggregator", "median", "--bucket-size", "2"),
            "backdoor-similarity-filter": ("--attack", "backdoor", *_ATTACK,
                                           "--aggregator", "similarity-filter"),
            # What the filter costs when nobody attacks (honest updates it leaves out).
            "similarity-filter": ("--aggregator", "similarity-filter"),
            "dropout-0.3": ("--dropout-rate", "0.3"),
            "eligibility": ("--eligibility",),
            "compress-8bit": ("--compress",),
        }),
    "privacy": Suite(
        common=("--rounds", "100", "--clients-per-round", "100", "--local-epochs", "1",
                "--seed", "1", "--eval-every", "25"),
        runs={
            BENIGN: (),
            "dp-z0.5": ("--dp-noise-multiplier", "0.5"),
            "dp-z1": ("--dp-noise-multiplier", "1"),
            "dp-z2": ("--dp-noise-multiplier", "2"),
            "dp-tree-z1": ("--dp-noise-multiplier", "1", "--dp-mechanism", "tree"),
            # The noise on the mean of 100 clients that larger cohorts have at epsilon 10
            # (`python -m federated.privacy_at_scale`): 500, 1,000 and 2,000 of 90,000 users.
            "dp-z0.2": ("--dp-noise-multiplier", "0.2"),
            "dp-z0.1": ("--dp-noise-multiplier", "0.1"),
            "dp-z0.05": ("--dp-noise-multiplier", "0.05"),
            # The estimate's check: twice the clients and twice the noise on their sum put the
            # same noise on the mean as dp-z0.1.
            "dp-z0.2-200-clients": ("--dp-noise-multiplier", "0.2", "--clients-per-round", "200"),
        }),
    "recipe": Suite(
        common=("--validation", "--eval-every", "20"),
        runs={
            BENIGN: (),
            "model-dropout-0.3": ("--model-dropout", "0.3"),
            "server-lr-half-life-150": ("--server-lr-half-life", "150"),
            "client-lr-half-life-100": ("--client-lr-half-life", "100"),
            "max-client-messages-64": ("--max-client-messages", "64"),
            "aggregator-mean": ("--aggregator", "mean"),
        }),
}


def train_arguments(data: Path, run_dir: Path, suite: Suite, run: str) -> list[str]:
    """The `federated.train` arguments of one run of the suite."""
    return ["--data", str(data), "--out", str(run_dir), "--resume", *suite.common,
            *suite.runs[run]]


def is_finished(arguments: Sequence[str], run_dir: Path) -> bool:
    """Whether `run_dir` holds a finished run of exactly the settings `arguments` ask for."""
    summary_path = RunDir(run_dir).summary
    if not summary_path.is_file():
        return False
    wanted = config_from_args(train_parser().parse_args(arguments))
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    return (TrainConfig.from_dict(summary["config"]) == wanted
            and summary["rounds_completed"] == wanted.rounds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m federated.experiments",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", choices=sorted(SUITES), help="which suite of runs to train")
    parser.add_argument("--data", required=True, type=Path,
                        help="typing histories (JSONL) every run of the suite trains on")
    parser.add_argument("--out", required=True, type=Path,
                        help="directory of the suite's runs, one subdirectory per run")
    parser.add_argument("--only", nargs="+", metavar="RUN",
                        help="train only these runs of the suite (the report still needs "
                             "every run finished)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    suite = SUITES[args.suite]
    unknown = sorted(set(args.only or ()) - set(suite.runs))
    if unknown:
        print(f"error: --only {' '.join(unknown)}: not runs of the {args.suite} suite "
              f"({', '.join(suite.runs)})", file=sys.stderr)
        return 2
    if not args.data.is_file():
        print(f"error: --data {args.data}: no such file", file=sys.stderr)
        return 2
    runs = args.only or list(suite.runs)
    for index, run in enumerate(runs, start=1):
        arguments = train_arguments(args.data, args.out / run, suite, run)
        if is_finished(arguments, args.out / run):
            print(f"[{index}/{len(runs)}] {run}: finished, reused", flush=True)
            continue
        command = [sys.executable, "-m", "federated.train", *arguments]
        print(f"[{index}/{len(runs)}] {run}: {shlex.join(command[1:])}", flush=True)
        try:
            failed = subprocess.run(command).returncode != 0
        except KeyboardInterrupt:  # The trainer saw Ctrl-C too and saved its checkpoint.
            failed = True
        if failed:
            print(f"error: run {run} did not finish; run the suite again to resume it",
                  file=sys.stderr)
            return 1
    if args.only:
        return 0
    report = [sys.executable, "-m", "federated.report", str(args.out / BENIGN), "--compare",
              *(str(args.out / run) for run in suite.runs if run != BENIGN)]
    print(shlex.join(report[1:]), flush=True)
    return subprocess.run(report).returncode


if __name__ == "__main__":
    sys.exit(main())
