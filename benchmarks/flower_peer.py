"""A side-by-side peer: Flower's simulation training the same model on the same clients.

    make bench-flower     # sets up .venv-flower, then runs this and round_vs_central alike
    .venv-flower/bin/python -m benchmarks.flower_peer [--users 1000] [--rounds 30]

Runs in its own environment (`benchmarks/flower-requirements.txt`: Flower 1.11 with its Ray
backend, and the same TensorFlow as the project, no TFF), never in the project's `.venv`.

What it trains is what `benchmarks.round_vs_central` trains: the generated population of
`--users` users (seed 1) and its training users, the default model (`model.network`), and in
each round the same 20 clients sampled as the trainer samples them; each client runs one
local epoch of SGD at the trainer's client learning rate, batch 16, and the server applies
Flower's FedAdam at the trainer's server learning rate. Two Ray actors of one CPU each train
clients in parallel, as the TFF worker trains two at once. As in Flower's own simulation
examples, `client_fn` makes a `NumPyClient` per call; the Keras model is built once per
actor and reused (building it in every call would time Keras, not Flower). Unlike the
trainer, the server clips nothing (no robust aggregation).

Prints the first round, the steady round (median of the rounds after the first), the central
Keras epoch on each round's examples (median), and the median per-round ratio, the figures
`benchmarks.round_vs_central` prints for TFF.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from federated.training.config import TrainConfig

REPO = Path(__file__).resolve().parent.parent  # Ray's actors import the project from here.


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--clients-per-round", type=int, default=20)
    args = parser.parse_args(argv)
    if args.rounds < 3:
        parser.error("--rounds must be at least 3 (a first round and steady ones)")

    # Imported here so --help answers at once (and says where to run this).
    try:
        import flwr as fl
        import ray
    except ImportError:
        parser.error("Flower is not installed here: run `make bench-flower`, or this module "
                     "with .venv-flower/bin/python")
    from tqdm import tqdm

    from benchmarks.flower_client import ClientSetup, client_fn_for
    from benchmarks.generated_clients import central_epoch, generated_clients
    from federated.simulation.sampling import sample_clients

    config = dataclasses.replace(TrainConfig(), local_epochs=1,
                                 clients_per_round=args.clients_per_round)
    population = generated_clients(args.users, config)
    users = list(population.examples)
    examples = population.examples
    model_config = config.model_config(population.vocab.size)
    optimizers = config.optimizers

    def round_clients(round_number: int) -> list[str]:
        return sample_clients(users, count=config.clients_per_round, seed=config.seed,
                              round_number=round_number)

    # Two actors of one CPU: two clients at once, as the TFF worker's default.
    ray_args = {"num_cpus": 2, "include_dashboard": False, "log_to_driver": False,
                "ignore_reinit_error": True,
                "runtime_env": {"env_vars": {"PYTHONPATH": str(REPO)}}}
    ray.init(**ray_args)
    setup = ClientSetup(users=tuple(users), examples=ray.put(examples),
                        model_config=model_config, seed=config.seed,
                        dropout=config.model_dropout,
                        learning_rate=optimizers.client_learning_rate,
                        batch_size=config.batch_size)

    round_seconds: list[float] = []
    bar = tqdm(total=args.rounds, desc="Flower rounds")

    class SampledFedAdam(fl.server.strategy.FedAdam):
        """FedAdam on the trainer's clients of each round, timing each round."""

        def configure_fit(self, server_round, parameters, client_manager):
            self.started = time.perf_counter()
            by_user = {users[proxy.partition_id]: proxy
                       for proxy in client_manager.all().values()}
            fit_ins = fl.common.FitIns(parameters, {})
            return [(by_user[user], fit_ins) for user in round_clients(server_round)]

        def aggregate_fit(self, server_round, results, failures):
            if failures:
                raise RuntimeError(f"round {server_round}: {len(failures)} clients failed: "
                                   f"{failures[0]!r}")
            aggregated = super().aggregate_fit(server_round, results, failures)
            round_seconds.append(time.perf_counter() - self.started)
            bar.update()
            return aggregated

    initial = fl.common.ndarrays_to_parameters(setup.compiled_model().get_weights())
    strategy = SampledFedAdam(
        initial_parameters=initial, fraction_evaluate=0.0, min_fit_clients=1,
        min_available_clients=len(users), eta=optimizers.server_learning_rate,
        eta_l=optimizers.client_learning_rate, tau=optimizers.server_epsilon,
        beta_2=0.999, accept_failures=False)
    print(f"{len(users)} training clients, {args.clients_per_round} per round, vocabulary "
          f"{population.vocab.size}, model {model_config}; Flower {fl.__version__}")
    try:
        fl.simulation.start_simulation(
            client_fn=client_fn_for(setup), num_clients=len(users), strategy=strategy,
            config=fl.server.ServerConfig(num_rounds=args.rounds),
            client_resources={"num_cpus": 1}, ray_init_args=ray_args, keep_initialised=True)
    finally:
        bar.close()
        ray.shutdown()

    model = setup.compiled_model()
    central = [central_epoch(model, examples, round_clients(round_number),
                             batch_size=config.batch_size)[0]
               for round_number in tqdm(range(1, args.rounds + 1), desc="central epochs")]

    steady = statistics.median(round_seconds[1:])
    ratios = [federated / epoch for federated, epoch in zip(round_seconds[1:], central[1:])]
    print(f"\n== Flower {fl.__version__} (Ray), rounds 2-{args.rounds}, medians")
    print(f"first round: {round_seconds[0]:.3f} s; steady round {steady:.3f} s; ratio "
          f"{round_seconds[0] / steady:.2f}")
    print(f"central epoch on the same examples: {statistics.median(central[1:]):.3f} s; "
          f"ratio round / central epoch: median {statistics.median(ratios):.2f}, of sums "
          f"{sum(round_seconds[1:]) / sum(central[1:]):.2f}")


if __name__ == "__main__":
    main()
