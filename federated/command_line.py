"""The options the two trainers' command lines share, and the typed settings they become.

`python -m federated.train` and `python -m federated.train_queries` run the same federated
machinery (sampling, devices, server optimizer, privacy, the TFF worker), so they take the same
flags, with the same help, defined here once. Each `add_*` adds an argument group with the
given defaults; each `*_config` turns the parsed arguments back into the typed option.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from federated.aggregators.names import AGGREGATORS
from federated.learning.options import SERVER_OPTIMIZERS, OptimizerConfig, RuntimeConfig
from federated.privacy.options import DEFAULT_DP_CLIP, DP_MECHANISMS, PrivacyConfig
from federated.simulation.options import DeviceConfig


def add_round_options(parser: argparse.ArgumentParser, *, rounds: int, clients_per_round: int,
                      seed: int, eval_every: int, eval_fraction: float) -> None:
    """--rounds, --clients-per-round, --seed, --eval-every, --eval-fraction."""
    group = parser.add_argument_group("rounds")
    group.add_argument("--rounds", type=int, default=rounds,
                       help="federated rounds (default %(default)s)")
    group.add_argument("--clients-per-round", type=int, default=clients_per_round,
                       help="devices sampled per round (default %(default)s)")
    group.add_argument("--seed", type=int, default=seed,
                       help="seeds the user split, sampling, init and shuffling "
                            "(default %(default)s)")
    group.add_argument("--eval-every", type=int, default=eval_every,
                       help="evaluate on held-out users every N rounds (default %(default)s)")
    group.add_argument("--eval-fraction", type=float, default=eval_fraction,
                       help="share of users held out for evaluation; the same users for the "
                            "same data, seed and share (default %(default)s)")


def add_client_options(parser: argparse.ArgumentParser, optimizers: OptimizerConfig, *,
                       batch_size: int, local_epochs: int) -> argparse._ArgumentGroup:
    """--batch-size, --local-epochs, --client-lr, --client-lr-half-life; returns the group, for
    a trainer's own client options."""
    group = parser.add_argument_group("clients")
    group.add_argument("--batch-size", type=int, default=batch_size,
                       help="client batch size (default %(default)s)")
    group.add_argument("--local-epochs", type=int, default=local_epochs,
                       help="passes over local data per round (default %(default)s)")
    group.add_argument("--client-lr", type=float, default=optimizers.client_learning_rate,
                       help="client SGD learning rate (default %(default).4g)")
    group.add_argument("--client-lr-half-life", type=int, metavar="ROUNDS",
                       default=optimizers.client_lr_half_life,
                       help="halve the client learning rate every ROUNDS rounds; 0 keeps it "
                            "constant; not with DP, nor with a boosting attack "
                            "(default %(default)s)")
    return group


def add_server_options(parser: argparse.ArgumentParser, optimizers: OptimizerConfig, *,
                       aggregators: Sequence[str],
                       aggregator: str) -> argparse._ArgumentGroup:
    """The server optimizer's flags and --aggregator (one of `aggregators`); returns the group,
    for options of the trainer's own aggregators."""
    group = parser.add_argument_group("server")
    group.add_argument("--server-optimizer", choices=SERVER_OPTIMIZERS,
                       default=optimizers.server_optimizer,
                       help="applies the averaged update (default %(default)s)")
    group.add_argument("--server-lr", type=float, default=optimizers.server_learning_rate,
                       help="server learning rate (default %(default)s)")
    group.add_argument("--server-epsilon", type=float, default=optimizers.server_epsilon,
                       help="adam/yogi epsilon (default %(default)s)")
    group.add_argument("--server-momentum", type=float, default=optimizers.server_momentum,
                       help="sgdm momentum (default %(default)s)")
    group.add_argument("--server-lr-half-life", type=int, metavar="ROUNDS",
                       default=optimizers.server_lr_half_life,
                       help="halve the server learning rate every ROUNDS rounds; 0 keeps it "
                            "constant (default %(default)s)")
    group.add_argument("--aggregator", choices=aggregators, default=aggregator,
                       help="; ".join(f"{name}: {AGGREGATORS[name].description}"
                                      for name in aggregators) + " (default %(default)s)")
    return group


def add_device_options(parser: argparse.ArgumentParser, devices: DeviceConfig) -> None:
    """--eligibility, --start-time, --round-minutes, --dropout-rate."""
    group = parser.add_argument_group("devices")
    group.add_argument("--eligibility", action="store_true",
                       help="sample only phones that are idle, charging and on wifi at the "
                            "round's simulated clock time (from each user's timestamps)")
    group.add_argument("--start-time", default=devices.start_time, metavar="HH:MM",
                       help="simulated clock time of round 1 (default %(default)s)")
    group.add_argument("--round-minutes", type=float, default=devices.round_minutes,
                       help="simulated minutes from one round to the next "
                            "(default %(default)s)")
    group.add_argument("--dropout-rate", type=float, default=devices.dropout_rate,
                       help="chance that a sampled device fails mid-round; the round "
                            "aggregates the others (default %(default)s)")


def add_privacy_options(parser: argparse.ArgumentParser,
                        description: str) -> argparse._ArgumentGroup:
    """--secure-aggregation and the DP flags; returns the group, for a trainer's own."""
    group = parser.add_argument_group("privacy", description)
    group.add_argument("--secure-aggregation", action="store_true",
                       help="the server receives client updates and metrics only as sums "
                            "(TFF secure-sum intrinsics; simulated without cryptography)")
    group.add_argument("--dp-noise-multiplier", type=float, metavar="Z",
                       help="user-level differential privacy: clip each client update and "
                            "add Gaussian noise of Z clip norms to their sum; clients weigh "
                            "equally; summary.json reports (epsilon, delta)")
    group.add_argument("--dp-mechanism", choices=DP_MECHANISMS,
                       help="adaptive: DP-FedAvg, fresh noise each round, adaptive clip "
                            "norm; tree: DP-FTRL, tree-correlated noise, fixed clip norm, "
                            "each user at most once per epoch (default adaptive)")
    group.add_argument("--dp-clip", type=float, metavar="C",
                       help="L2 clip norm of a client update (tree), or its starting "
                            f"value (adaptive) (default {DEFAULT_DP_CLIP})")
    group.add_argument("--dp-delta", type=float, metavar="D",
                       help="delta of the reported (epsilon, delta) "
                            "(default 1 / training users^1.1)")
    return group


def add_runtime_options(parser: argparse.ArgumentParser, runtime: RuntimeConfig) -> None:
    """--workers, and the local TFF worker's settings (`add_worker_options`)."""
    group = parser.add_argument_group("TFF runtime")
    group.add_argument("--workers", metavar="HOST:PORT,...",
                       help="share each round's clients among these running TFF workers "
                            "(started with `python -m federated.worker --port PORT`, README: "
                            "Running on several machines) instead of one worker started here; "
                            "may change on --resume")
    group.add_argument("--restart-worker-every", type=int, metavar="ROUNDS",
                       default=runtime.restart_worker_every,
                       help="replace the worker started here by a fresh one after every ROUNDS "
                            "rounds: TFF's worker grows over a long run, and a fresh worker "
                            "traces the computations again, as in a first round; 0: never; "
                            "never restarts the workers of --workers: restart those by hand "
                            "between runs "
                            "(default %(default)s)")
    add_worker_options(group, runtime)


def add_worker_options(group: argparse._ArgumentGroup, runtime: RuntimeConfig) -> None:
    """A TFF worker's --max-concurrent-clients, --intra-op-threads, --inter-op-threads."""
    group.add_argument("--max-concurrent-clients", type=int,
                       default=runtime.max_concurrent_calls,
                       help="clients the worker trains at once; <= 0: no limit "
                            "(default %(default)s)")
    group.add_argument("--intra-op-threads", type=int, default=runtime.intra_op_threads,
                       help="TF threads per op in the worker; 0: TF decides "
                            "(default %(default)s)")
    group.add_argument("--inter-op-threads", type=int, default=runtime.inter_op_threads,
                       help="TF ops in parallel in the worker; 0: TF decides "
                            "(default %(default)s)")


def resume_hint(out: Path) -> str:
    """What a trainer stopped mid-run tells its user."""
    return (f"Completed rounds are saved in {out}; continue with --resume (with other "
            "--workers if need be).")


def optimizer_config(args: argparse.Namespace) -> OptimizerConfig:
    return OptimizerConfig(
        client_learning_rate=args.client_lr, server_optimizer=args.server_optimizer,
        server_learning_rate=args.server_lr, server_epsilon=args.server_epsilon,
        server_momentum=args.server_momentum, server_lr_half_life=args.server_lr_half_life,
        client_lr_half_life=args.client_lr_half_life)


def device_config(args: argparse.Namespace) -> DeviceConfig:
    return DeviceConfig(eligibility=args.eligibility, start_time=args.start_time,
                        round_minutes=args.round_minutes, dropout_rate=args.dropout_rate)


def runtime_config(args: argparse.Namespace) -> RuntimeConfig:
    return RuntimeConfig(max_concurrent_calls=args.max_concurrent_clients,
                         intra_op_threads=args.intra_op_threads,
                         inter_op_threads=args.inter_op_threads,
                         workers=tuple(args.workers.split(",")) if args.workers else (),
                         restart_worker_every=args.restart_worker_every)


def privacy_config(args: argparse.Namespace, *,
                   compress_bits: Optional[int] = None) -> PrivacyConfig:
    return PrivacyConfig(
        secure_aggregation=args.secure_aggregation,
        dp_noise_multiplier=args.dp_noise_multiplier, dp_mechanism=args.dp_mechanism,
        dp_clip=args.dp_clip, dp_delta=args.dp_delta, compress_bits=compress_bits)
