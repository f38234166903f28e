"""Train the next-word model with TFF over per-user typing histories.

    python -m federated.train --data h.jsonl --out runs/demo --rounds 30 --clients-per-round 20

Writes RUN_DIR/summary.json, metrics.csv, config.json, checkpoints/ and the model export
RUN_DIR/model (docs/DESIGN.md, `federated.training.run_dir`). Ctrl-C stops after saving;
`--resume` continues.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from federated.aggregators.names import AGGREGATORS
from federated.learning.options import SERVER_OPTIMIZERS, OptimizerConfig, RuntimeConfig
from federated.privacy.options import (
    DEFAULT_DP_CLIP,
    DP_MECHANISMS,
    MAX_COMPRESS_BITS,
    PrivacyConfig,
)
from federated.simulation.options import ATTACKS, AttackConfig, DeviceConfig
from federated.training.config import TrainConfig
from federated.training.workspace import Workspace, prepare_workspace


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    optimizer_defaults = OptimizerConfig()
    runtime_defaults = RuntimeConfig()
    parser = argparse.ArgumentParser(
        prog="python -m federated.train", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path,
                        help="typing histories, JSONL records {user_id, text[, timestamp]}")
    parser.add_argument("--out", required=True, type=Path, help="run directory to write")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint "
                             "(starts fresh if it has none)")
    parser.add_argument("--device-logs", type=Path, metavar="DATA_DIR",
                        help="the keyboard app's device data directory: each device's "
                             "committed messages become its local data; devices are phones "
                             "like the others, and take the first places of this "
                             "invocation's first round")
    parser.add_argument("--init-from", type=Path, metavar="MODEL_DIR",
                        help="start from this export's weights and vocabulary (e.g. "
                             "RUN_DIR/model of an earlier run) instead of random weights")
    parser.add_argument("--skip-bad-records", action="store_true",
                        help="skip malformed lines of --data (and say how many) instead of "
                             "refusing the file")
    run = parser.add_argument_group("rounds")
    run.add_argument("--rounds", type=int, default=defaults.rounds,
                     help="federated rounds (default %(default)s)")
    run.add_argument("--clients-per-round", type=int, default=defaults.clients_per_round,
                     help="devices sampled per round (default %(default)s)")
    run.add_argument("--seed", type=int, default=defaults.seed,
                     help="seeds the user split, sampling, init and shuffling "
                          "(default %(default)s)")
    run.add_argument("--eval-every", type=int, default=defaults.eval_every,
                     help="evaluate on held-out users every N rounds (default %(default)s)")
    run.add_argument("--eval-fraction", type=float, default=defaults.eval_fraction,
                     help="share of users held out for evaluation (default %(default)s)")
    client = parser.add_argument_group("clients")
    client.add_argument("--batch-size", type=int, default=defaults.batch_size,
                        help="client batch size (default %(default)s)")
    client.add_argument("--local-epochs", type=int, default=defaults.local_epochs,
                        help="passes over local data per round (default %(default)s)")
    client.add_argument("--client-lr", type=float,
                        default=optimizer_defaults.client_learning_rate,
                        help="client SGD learning rate (default %(default).4g)")
    server = parser.add_argument_group("server optimizer")
    server.add_argument("--server-optimizer", choices=SERVER_OPTIMIZERS,
                        default=optimizer_defaults.server_optimizer,
                        help="applies the averaged update (default %(default)s)")
    server.add_argument("--server-lr", type=float,
                        default=optimizer_defaults.server_learning_rate,
                        help="server learning rate (default %(default)s)")
    server.add_argument("--server-epsilon", type=float,
                        default=optimizer_defaults.server_epsilon,
                        help="adam/yogi epsilon (default %(default)s)")
    server.add_argument("--server-momentum", type=float,
                        default=optimizer_defaults.server_momentum,
                        help="sgdm momentum (default %(default)s)")
    server.add_argument("--aggregator", choices=AGGREGATORS, default=defaults.aggregator,
                        help="; ".join(f"{name}: {aggregator.description}"
                                       for name, aggregator in AGGREGATORS.items())
                        + " (default %(default)s)")
    server.add_argument("--trim-fraction", type=float, default=defaults.trim_fraction,
                        help="trimmed-mean: share of clients cut from each end of every "
                             "coordinate (default %(default)s)")
    server.add_argument("--bucket-size", type=int, default=defaults.bucket_size,
                        help="median, trimmed-mean: average client updates in buckets of "
                             "this many first, then take the statistic over the buckets "
                             "(robust to non-IID clients; default %(default)s: no buckets)")
    _add_device_and_attack_arguments(parser)
    privacy = parser.add_argument_group(
        "privacy", "user-level DP, secure aggregation and compressed uploads (README: "
        "Privacy options); --compress combines with neither of the other two")
    privacy.add_argument("--secure-aggregation", action="store_true",
                         help="the server receives client updates and metrics only as sums "
                              "(TFF secure-sum intrinsics; simulated without cryptography)")
    privacy.add_argument("--dp-noise-multiplier", type=float, metavar="Z",
                         help="user-level differential privacy: clip each client update and "
                              "add Gaussian noise of Z clip norms to their sum; clients weigh "
                              "equally; summary.json reports (epsilon, delta)")
    privacy.add_argument("--dp-mechanism", choices=DP_MECHANISMS,
                         help="adaptive: DP-FedAvg, fresh noise each round, adaptive clip "
                              "norm; tree: DP-FTRL, tree-correlated noise, fixed clip norm, "
                              "each user at most once per epoch (default adaptive)")
    privacy.add_argument("--dp-clip", type=float, metavar="C",
                         help="L2 clip norm of a client update (tree), or its starting "
                              f"value (adaptive) (default {DEFAULT_DP_CLIP})")
    privacy.add_argument("--dp-delta", type=float, metavar="D",
                         help="delta of the reported (epsilon, delta) "
                              "(default 1 / training users^1.1)")
    privacy.add_argument("--compress", action="store_true",
                         help="upload client updates quantized to --compress-bits bits per "
                              "weight-matrix value (stochastic rounding, bit-packed)")
    privacy.add_argument("--compress-bits", type=int, metavar="B",
                         help=f"bits per value, 1-{MAX_COMPRESS_BITS}; implies --compress "
                              f"(default {MAX_COMPRESS_BITS})")
    model = parser.add_argument_group("model")
    model.add_argument("--vocab-size", type=int, default=defaults.vocab_words,
                       help="words in the vocabulary, special tokens not counted "
                            "(default %(default)s)")
    model.add_argument("--embedding-dim", type=int, default=defaults.embedding_dim,
                       help="tied input/output embedding width (default %(default)s)")
    model.add_argument("--lstm-units", type=int, default=defaults.lstm_units,
                       help="CIFG-LSTM cell width (default %(default)s)")
    model.add_argument("--max-words", type=int, default=defaults.max_words,
                       help="words per message the model reads (default %(default)s)")
    engine = parser.add_argument_group("TFF runtime")
    engine.add_argument("--max-concurrent-clients", type=int,
                        default=runtime_defaults.max_concurrent_calls,
                        help="clients the worker trains at once; <= 0: no limit "
                             "(default %(default)s)")
    engine.add_argument("--intra-op-threads", type=int,
                        default=runtime_defaults.intra_op_threads,
                        help="TF threads per op in the worker; 0: TF decides "
                             "(default %(default)s)")
    engine.add_argument("--inter-op-threads", type=int,
                        default=runtime_defaults.inter_op_threads,
                        help="TF ops in parallel in the worker; 0: TF decides "
                             "(default %(default)s)")
    return parser


def _add_device_and_attack_arguments(parser: argparse.ArgumentParser) -> None:
    device_defaults = DeviceConfig()
    attack_defaults = AttackConfig()
    devices = parser.add_argument_group("devices")
    devices.add_argument("--eligibility", action="store_true",
                         help="sample only phones that are idle, charging and on wifi at the "
                              "round's simulated clock time (from each user's timestamps)")
    devices.add_argument("--start-time", default=device_defaults.start_time, metavar="HH:MM",
                         help="simulated clock time of round 1 (default %(default)s)")
    devices.add_argument("--round-minutes", type=float, default=device_defaults.round_minutes,
                         help="simulated minutes from one round to the next "
                              "(default %(default)s)")
    devices.add_argument("--dropout-rate", type=float, default=device_defaults.dropout_rate,
                         help="chance that a sampled device fails mid-round; the round "
                              "aggregates the others (default %(default)s)")
    attacks = parser.add_argument_group("attacks (to test defences)")
    attacks.add_argument("--attack", choices=ATTACKS, default=attack_defaults.attack,
                         help="boost: malicious clients scale their updates; backdoor: their "
                              "data teaches trigger -> target (default %(default)s)")
    attacks.add_argument("--malicious-fraction", type=float,
                         default=attack_defaults.malicious_fraction,
                         help="share of training users that attack (default %(default)s)")
    attacks.add_argument("--boost-factor", type=float,
                         help="what a malicious client multiplies its update by; negative "
                              "reverses it (default: minus --clients-per-round for boost, "
                              "1 for backdoor)")
    attacks.add_argument("--backdoor-trigger", default=attack_defaults.trigger,
                         help="words after which the backdoor wants its target suggested "
                              "(default %(default)r)")
    attacks.add_argument("--backdoor-target", default=attack_defaults.target,
                         help="the word the backdoor wants suggested; must be in the "
                              "vocabulary (default %(default)r)")


def _boost_factor(args: argparse.Namespace) -> float:
    """The boost factor asked for, else 1, except for a boosting attack: minus the clients per
    round. Scaled by the clients per round (as in model-replacement attacks), one update
    outweighs the rest of the round; reversed, it undoes their progress. (Only scaled, an
    honestly trained update hardly hurts a model whose server optimizer is Adam: README.)"""
    if args.boost_factor is not None:
        return args.boost_factor
    return -float(args.clients_per_round) if args.attack == "boost" else 1.0


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """Turns parsed arguments into the typed configuration (raises ValueError if invalid)."""
    return TrainConfig(
        rounds=args.rounds, clients_per_round=args.clients_per_round, seed=args.seed,
        eval_every=args.eval_every, eval_fraction=args.eval_fraction,
        vocab_words=args.vocab_size, embedding_dim=args.embedding_dim,
        lstm_units=args.lstm_units, max_words=args.max_words, batch_size=args.batch_size,
        local_epochs=args.local_epochs, aggregator=args.aggregator,
        trim_fraction=args.trim_fraction, bucket_size=args.bucket_size,
        devices=DeviceConfig(eligibility=args.eligibility, start_time=args.start_time,
                             round_minutes=args.round_minutes,
                             dropout_rate=args.dropout_rate),
        attack=AttackConfig(attack=args.attack, malicious_fraction=args.malicious_fraction,
                            boost_factor=_boost_factor(args), trigger=args.backdoor_trigger,
                            target=args.backdoor_target),
        optimizers=OptimizerConfig(
            client_learning_rate=args.client_lr, server_optimizer=args.server_optimizer,
            server_learning_rate=args.server_lr, server_epsilon=args.server_epsilon,
            server_momentum=args.server_momentum),
        runtime=RuntimeConfig(max_concurrent_calls=args.max_concurrent_clients,
                              intra_op_threads=args.intra_op_threads,
                              inter_op_threads=args.inter_op_threads),
        privacy=PrivacyConfig(
            secure_aggregation=args.secure_aggregation,
            dp_noise_multiplier=args.dp_noise_multiplier, dp_mechanism=args.dp_mechanism,
            dp_clip=args.dp_clip, dp_delta=args.dp_delta,
            compress_bits=(MAX_COMPRESS_BITS if args.compress and args.compress_bits is None
                           else args.compress_bits)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        workspace: Workspace = prepare_workspace(
            args.data, args.out, config, resume=args.resume, skip_bad=args.skip_bad_records,
            device_logs=args.device_logs, init_from=args.init_from)
    except (ValueError, FileNotFoundError, IsADirectoryError) as error:
        parser.error(str(error))
    # TensorFlow takes seconds to import: only after the arguments and data are known good.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ info lines are noise here.
    from federated.training.run import train

    try:
        summary = train(workspace)
    except KeyboardInterrupt:
        print(f"\nStopped. Completed rounds are saved in {args.out}; continue with --resume.",
              file=sys.stderr)
        return 130
    print(f"top-1 recall {summary['top1_recall']:.4f}, top-3 recall "
          f"{summary['top3_recall']:.4f} on {summary['eval_users']} held-out users "
          f"(most-frequent-words baseline: {summary['baselines']['unigram']['top1_recall']:.4f}"
          f" / {summary['baselines']['unigram']['top3_recall']:.4f}); "
          f"model {summary['model_version']} in {args.out / 'model'}")
    if summary["dp"]:
        print(f"differential privacy: epsilon {summary['dp']['epsilon']:.3g} at delta "
              f"{summary['dp']['delta']:.3g} after {summary['dp']['rounds']} rounds "
              f"({summary['dp']['mechanism']}, noise multiplier "
              f"{summary['dp']['noise_multiplier']:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
