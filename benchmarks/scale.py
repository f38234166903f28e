"""Seconds per round against clients per round, on one local TFF worker.

    python -m benchmarks.scale [--users 1000] [--rounds 3] [--cohorts 10,20,50,100,200]

Trains the default model (the demo's settings, one local epoch) on a generated population,
for each cohort size: one untimed first round (tracing), then --rounds timed rounds of that
many sampled clients. Prints the median seconds per round, per client and per 1,000 examples
of each cohort; a round whose time is linear in its clients has flat seconds-per-client and
seconds-per-example columns (clients hold very different amounts of data, so a few rounds'
seconds per client vary with who was sampled; per example they should not).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
from collections.abc import Sequence

from federated.training.config import TrainConfig


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cohorts", default="10,20,50,100,200",
                        help="clients per round to time, comma-separated")
    args = parser.parse_args(argv)
    cohorts = [int(cohort) for cohort in args.cohorts.split(",")]
    if args.rounds < 1 or min(cohorts) < 1:
        parser.error("--rounds and every cohort must be >= 1")

    # Imported here so --help answers at once.
    from benchmarks.generated_clients import generated_clients, timed_rounds
    from federated.learning.processes import make_model_fn
    from federated.learning.worker import tff_worker

    base = TrainConfig()
    population = generated_clients(args.users, base)
    datasets = population.datasets
    if max(cohorts) > len(datasets):
        parser.error(f"the largest cohort is more than the {len(datasets)} training users; "
                     "raise --users")
    model_fn = make_model_fn(base.model_config(population.vocab.size), seed=base.seed)
    print(f"{len(datasets)} training clients, vocabulary {population.vocab.size}, "
          f"{args.rounds} timed rounds per cohort")
    print("clients/round  s/round  s/client  examples/round  s/1k examples")
    with tff_worker(base.runtime):
        for cohort in cohorts:
            config = dataclasses.replace(base, clients_per_round=cohort)
            seconds, sampled = timed_rounds(config, model_fn, datasets, args.rounds + 1)
            examples = [sum(len(population.examples[client][1]) for client in clients)
                        for clients in sampled[1:]]
            steady = statistics.median(seconds[1:])
            per_example = statistics.median(1000 * s / n for s, n in zip(seconds[1:], examples))
            print(f"{cohort:13d}  {steady:7.2f}  {steady / cohort:8.3f}  "
                  f"{statistics.median(examples):14.0f}  {per_example:13.2f}", flush=True)


if __name__ == "__main__":
    main()
