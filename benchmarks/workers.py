"""Rounds on one TFF worker against rounds shared by two loopback workers, in one run.

    python -m benchmarks.workers [--users 1000] [--rounds 6] [--clients-per-round 20]

Trains the default model (the demo's settings) on the same sampled clients twice: on one
worker started here, then on two (`--workers` with two loopback ports), as the trainer does:
the one worker is started with the round compiled while it boots, while the two running
workers' first round compiles TFF's mergeable form. Prints, for each, the first round, the
median of the later rounds, and what travelled over gRPC per later round: bytes the trainer
sent to its workers and received from them, counted at TFF's stub (the computations, the
server state for every worker, each client's dataset, the partial aggregates). Then the
largest difference between the two final models' weights.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Sequence

from federated.learning.options import RuntimeConfig
from federated.training.config import TrainConfig


class _CountingRpcs:
    """TFF's gRPC stub with every request and response counted, in bytes."""

    def __init__(self, rpcs, totals: dict[str, int]):
        self._rpcs, self._totals = rpcs, totals

    def __getattr__(self, name):
        rpc = getattr(self._rpcs, name)

        def counted(request):
            response = rpc(request)
            self._totals["sent"] += request.ByteSize()
            self._totals["received"] += response.ByteSize()
            return response

        return counted


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--clients-per-round", type=int, default=20)
    args = parser.parse_args(argv)
    if args.rounds < 2:
        parser.error("--rounds must be at least 2: the first round warms up, later ones are timed")

    # Imported here so --help answers at once.
    import numpy as np
    import tensorflow_federated as tff

    from benchmarks.generated_clients import generated_clients
    from federated.learning.processes import make_model_fn
    from federated.learning.worker import start_worker, stop_worker, tff_worker
    from federated.simulation.sampling import sample_clients
    from federated.training.run import training_process

    config = dataclasses.replace(TrainConfig(), clients_per_round=args.clients_per_round)
    population = generated_clients(args.users, config)
    datasets = population.datasets
    model_fn = make_model_fn(config.model_config(population.vocab.size), seed=config.seed)
    process = training_process(model_fn, config, users=len(datasets))
    totals = {"sent": 0, "received": 0}

    class CountingStub(tff.framework.RemoteExecutorGrpcStub):
        def __init__(self, channel):
            super().__init__(channel)
            self._stub = _CountingRpcs(self._stub, totals)

    tff.framework.RemoteExecutorGrpcStub = CountingStub  # Read by `tff_worker` at each start.

    def run(runtime: RuntimeConfig) -> list[np.ndarray]:
        seconds, traffic = [], []
        with tff_worker(runtime, precompile=[process.next]):  # As the trainer starts it.
            state = process.initialize()
            for round_number in range(1, args.rounds + 1):
                clients = sample_clients(list(datasets), count=config.clients_per_round,
                                         seed=config.seed, round_number=round_number)
                before = dict(totals)
                started = time.perf_counter()
                state = process.next(state, [datasets[c] for c in clients]).state
                seconds.append(time.perf_counter() - started)
                traffic.append({k: totals[k] - before[k] for k in totals})
            weights = process.get_model_weights(state).trainable
        later = traffic[1:]
        workers = len(runtime.workers) or 1
        print(f"{workers} worker(s): first round {seconds[0]:.2f} s, later rounds median "
              f"{statistics.median(seconds[1:]):.2f} s (min {min(seconds[1:]):.2f}, max "
              f"{max(seconds[1:]):.2f}); per later round "
              f"{statistics.median(t['sent'] for t in later) / 1e6:.2f} MB to the workers, "
              f"{statistics.median(t['received'] for t in later) / 1e6:.2f} MB back", flush=True)
        return [np.asarray(w) for w in weights]

    print(f"{len(datasets)} training clients, {args.clients_per_round} per round, "
          f"{args.rounds} rounds, vocabulary {population.vocab.size}")
    one = run(RuntimeConfig())
    started = [start_worker(RuntimeConfig(), None) for _ in range(2)]
    try:
        two = run(RuntimeConfig(workers=tuple(f"localhost:{port}" for _, port in started)))
    finally:
        for worker, _ in started:
            stop_worker(worker)
    print("largest difference of the final weights, 1 vs 2 workers: "
          f"{max(float(np.abs(a - b).max()) for a, b in zip(one, two)):.2e}")


if __name__ == "__main__":
    main()
