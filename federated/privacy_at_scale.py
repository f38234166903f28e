"""What a population too large to train here would keep of its recall under DP: the recall
of cohorts of each size at a fixed epsilon, estimated from DP runs at one small cohort.

    python -m federated.privacy_at_scale runs/experiments/privacy/benign \\
        runs/experiments/privacy/dp-z0.05 runs/experiments/privacy/dp-z0.1 ... \\
        --users 90000 --epsilon 10 --cohorts 100,200,500,1000,2000

Reads finished runs of the same data, seed and held-out users (`python -m federated.experiments
privacy` trains them): one without DP, the reference, and DP-FedAvg runs (adaptive clipping) with
the reference's clients per round and rounds and different noise multipliers. For each cohort it
prints the noise multiplier that spends EPSILON over the same rounds in a population of USERS
training users, the noise multiplier that puts the same noise on the mean of the runs' cohort,
and the top-1 recall the runs give at that noise, against the run without DP. The method and
its limits: `federated.privacy.cohorts`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from federated.privacy.cohorts import CohortRow, cohort_curve
from federated.privacy.options import PrivacyConfig
from federated.report.comparisons import (
    CompletedRun,
    check_comparable,
    config_changes,
    read_completed_run,
)


def _cohorts(text: str) -> list[int]:
    try:
        cohorts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text!r}") from None
    if not cohorts or min(cohorts) < 1:
        raise argparse.ArgumentTypeError(f"cohorts must be positive, got {text!r}")
    return cohorts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m federated.privacy_at_scale",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR",
                        help="finished runs: one without DP and DP-FedAvg runs at its cohort")
    parser.add_argument("--users", type=int, required=True,
                        help="training users of the population to estimate")
    parser.add_argument("--epsilon", type=float, default=10.0,
                        help="the epsilon every cohort spends (default: %(default)s)")
    parser.add_argument("--cohorts", type=_cohorts, default=[100, 200, 500, 1000, 2000],
                        help="comma-separated clients per round to estimate "
                             "(default: 100,200,500,1000,2000)")
    parser.add_argument("--delta", type=float,
                        help="the delta of the guarantee (default: 1 / USERS^1.1)")
    return parser


def measured_points(runs: Sequence[CompletedRun]) -> tuple[CompletedRun, list[CompletedRun]]:
    """The run without DP and the DP-FedAvg runs, or ValueError saying what does not fit."""
    plain = [run for run in runs if not run.config.privacy.dp]
    private = [run for run in runs if run.config.privacy.dp]
    if len(plain) != 1 or not private:
        raise ValueError(f"needs exactly one run without DP and at least one DP run, got "
                         f"{len(plain)} without and {len(private)} with")
    reference = plain[0]
    for run in private:
        check_comparable(reference, run)
        if run.config.privacy.mechanism != "adaptive":
            raise ValueError(f"{run.name}: DP mechanism {run.config.privacy.mechanism!r}; "
                             f"the estimate holds for DP-FedAvg (adaptive) only")
        mine = (reference.config.clients_per_round, reference.summary["rounds_completed"])
        theirs = (run.config.clients_per_round, run.summary["rounds_completed"])
        if mine != theirs:
            raise ValueError(f"{run.name}: {theirs[0]} clients a round for {theirs[1]} rounds, "
                             f"the run without DP {mine[0]} for {mine[1]}")
        others = {name: value for name, value in config_changes(reference.config, run.config)
                  .items() if name != "dp_noise_multiplier"}
        if others:
            raise ValueError(f"{run.name}: changes more than the noise multiplier: "
                             + ", ".join(f"{name} {value}" for name, value in others.items()))
    noises = [run.config.privacy.dp_noise_multiplier for run in private]
    if len(set(noises)) != len(noises):
        raise ValueError(f"two DP runs share a noise multiplier: {sorted(noises)}")
    return reference, private


def format_table(rows: Sequence[CohortRow], *, reference_top1: float,
                 reference_clients: int) -> str:
    same_noise = f"same noise at {reference_clients}"
    lines = [f"{'clients/round':>13} {'z at epsilon':>12} {same_noise:>17} {'top-1':>7} "
             f"{'x no DP':>8}"]
    for row in rows:
        top1 = ("-", "-") if row.top1 is None else (f"{row.top1:.1%}",
                                                     f"{row.top1 / reference_top1:.2f}")
        lines.append(f"{row.clients_per_round:>13,} {row.noise_multiplier:>12.3f} "
                     f"{row.reference_noise_multiplier:>17.3f} {top1[0]:>7} {top1[1]:>8}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.users < 1 or args.epsilon <= 0:
        print("error: --users and --epsilon must be positive", file=sys.stderr)
        return 2
    if max(args.cohorts) > args.users or (args.delta is not None and not 0 < args.delta < 1):
        print("error: a cohort must not exceed --users, and --delta must be between 0 and 1",
              file=sys.stderr)
        return 2
    try:
        reference, private = measured_points([read_completed_run(path) for path in args.runs])
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    clients = reference.config.clients_per_round
    rounds = reference.summary["rounds_completed"]
    delta = args.delta if args.delta is not None else PrivacyConfig().delta(args.users)
    measured = [(run.config.privacy.dp_noise_multiplier, run.summary["top1_recall"])
                for run in private]
    rows = cohort_curve(measured, reference_clients=clients, cohorts=args.cohorts,
                        epsilon=args.epsilon, users=args.users, rounds=rounds, delta=delta,
                        sampling=private[0].config.privacy.sampling)
    print(f"Measured: {clients} clients a round, {rounds} rounds; without DP top-1 "
          f"{reference.summary['top1_recall']:.1%}; "
          + ", ".join(f"z {z:g}: {top1:.1%}" for z, top1 in sorted(measured)))
    print(f"Estimated for {args.users:,} training users at epsilon {args.epsilon:g}, "
          f"delta {delta:.2g}, {rounds} rounds ('-': outside the measured noise):")
    print(format_table(rows, reference_top1=reference.summary["top1_recall"],
                       reference_clients=clients))
    return 0


if __name__ == "__main__":
    sys.exit(main())
