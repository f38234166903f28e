"""What each aggregator adds to a federated round, measured side by side in one run.

    python -m benchmarks.aggregators [--users 1000] [--rounds 8] [--clients-per-round 20]

Runs the same rounds (same data, same sampled clients, one local epoch, the default model)
with every `--aggregator` choice and prints the median seconds of a steady round (from
round 3 on: the first rounds trace) and its ratio to the default, robust aggregation. The
median, trimmed mean and similarity filter stack every client's update on the server; the
mean and robust aggregators only sum. Goal (2 cores): a similarity-filter round costs at
most 1.25 x a robust round.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from collections.abc import Sequence

from federated.aggregators.names import AGGREGATORS
from federated.training.config import TrainConfig

STEADY_FROM_ROUND = 3


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=8, help="rounds per aggregator")
    parser.add_argument("--clients-per-round", type=int, default=20)
    args = parser.parse_args(argv)
    if args.rounds <= STEADY_FROM_ROUND:
        parser.error(f"--rounds must be more than {STEADY_FROM_ROUND}")

    # Imported here so --help answers at once.
    from benchmarks.generated_clients import generated_clients, timed_rounds
    from federated.learning.processes import make_model_fn
    from federated.learning.worker import tff_worker

    base = dataclasses.replace(TrainConfig(), local_epochs=1,
                               clients_per_round=args.clients_per_round)
    population = generated_clients(args.users, base)
    datasets = population.datasets
    model_fn = make_model_fn(base.model_config(population.vocab.size), seed=base.seed)
    print(f"{len(datasets)} training clients, {args.clients_per_round} per round, "
          f"{args.rounds} rounds per aggregator")

    steady = {}
    with tff_worker(base.runtime):
        for aggregator in AGGREGATORS:
            config = dataclasses.replace(base, aggregator=aggregator)
            seconds, _ = timed_rounds(config, model_fn, datasets, args.rounds)
            steady[aggregator] = statistics.median(seconds[STEADY_FROM_ROUND - 1:])
            print(f"{aggregator:>18}: {steady[aggregator]:.2f} s per steady round "
                  f"(first round {seconds[0]:.1f} s)", flush=True)
    print("ratio to robust: " + ", ".join(
        f"{name} {value / steady['robust']:.2f}" for name, value in steady.items()))


if __name__ == "__main__":
    main()
