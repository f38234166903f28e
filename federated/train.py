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
from federated.command_line import (
    add_client_options,
    add_device_options,
    add_privacy_options,
    add_round_options,
    add_runtime_options,
    add_server_options,
    device_config,
    optimizer_config,
    privacy_config,
    resume_hint,
    runtime_config,
)
from federated.privacy.options import MAX_COMPRESS_BITS
from federated.simulation.options import ATTACKS, AttackConfig
from federated.training.config import DEFAULT_NETWORK_WEIGHT, TrainConfig
from federated.training.run_dir import RunDir
from federated.training.workspace import Workspace, prepare_workspace


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
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
    add_round_options(parser, rounds=defaults.rounds,
                      clients_per_round=defaults.clients_per_round, seed=defaults.seed,
                      eval_every=defaults.eval_every, eval_fraction=defaults.eval_fraction)
    parser.add_argument("--eval-users", type=int, metavar="N", default=defaults.eval_users,
                        help="score the evaluations before the last round on a seeded sample "
                             "of N held-out users (the same ones each time); the last round "
                             "scores every one (default: every one, every time; with many "
                             "users, evaluating all of them takes far longer than a round)")
    parser.add_argument("--validation", action="store_true",
                        help="for choosing settings: leave the held-out users out and "
                             "evaluate on validation users instead (--eval-fraction of the "
                             "training users, held out the same way); docs/tuning.md")
    clients = add_client_options(parser, defaults.optimizers, batch_size=defaults.batch_size,
                                 local_epochs=defaults.local_epochs)
    clients.add_argument("--max-client-messages", type=int, metavar="N",
                         default=defaults.max_client_messages,
                         help="a client trains on at most N of its messages a round, a fresh "
                              "seeded sample each round (default %(default)s: all)")
    server = add_server_options(parser, defaults.optimizers, aggregators=tuple(AGGREGATORS),
                                aggregator=defaults.aggregator)
    server.add_argument("--trim-fraction", type=float, default=defaults.trim_fraction,
                        help="trimmed-mean: share of clients cut from each end of every "
                             "coordinate (default %(default)s)")
    server.add_argument("--bucket-size", type=int, default=defaults.bucket_size,
                        help="median, trimmed-mean: average client updates in buckets of "
                             "this many first, then take the statistic over the buckets "
                             "(robust to non-IID clients; default %(default)s: no buckets)")
    add_device_options(parser, defaults.devices)
    _add_attack_arguments(parser, defaults.attack)
    privacy = add_privacy_options(
        parser, "user-level DP, secure aggregation and compressed uploads (docs/privacy.md); "
        "--compress combines with neither of the other two")
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
    model.add_argument("--model-dropout", type=float, default=defaults.model_dropout,
                       help="share of the embedding's and the LSTM's outputs dropped while "
                            "training, to regularize on small real text (default "
                            "%(default)s)")
    model.add_argument("--network-weight", type=float,
                       help="the exported model serves the network interpolated with a "
                            "Kneser-Ney n-gram of the training users' messages at this weight: "
                            "0.5 is half each, 1 the network alone (default "
                            f"{DEFAULT_NETWORK_WEIGHT}; 1 with DP or --attack, as neither DP "
                            "nor the aggregators cover the n-gram's counts)")
    add_runtime_options(parser, defaults.runtime)
    return parser


def _add_attack_arguments(parser: argparse.ArgumentParser,
                          attack_defaults: AttackConfig) -> None:
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
        eval_every=args.eval_every, eval_users=args.eval_users,
        eval_fraction=args.eval_fraction, validation=args.validation,
        vocab_words=args.vocab_size, embedding_dim=args.embedding_dim,
        lstm_units=args.lstm_units, max_words=args.max_words,
        model_dropout=args.model_dropout, network_weight=args.network_weight,
        batch_size=args.batch_size,
        local_epochs=args.local_epochs, max_client_messages=args.max_client_messages,
        aggregator=args.aggregator,
        trim_fraction=args.trim_fraction, bucket_size=args.bucket_size,
        devices=device_config(args),
        attack=AttackConfig(attack=args.attack, malicious_fraction=args.malicious_fraction,
                            boost_factor=_boost_factor(args), trigger=args.backdoor_trigger,
                            target=args.backdoor_target),
        optimizers=optimizer_config(args), runtime=runtime_config(args),
        privacy=privacy_config(args, compress_bits=(
            MAX_COMPRESS_BITS if args.compress and args.compress_bits is None
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
    from federated.learning.worker import WorkerLostError
    from federated.training.run import train

    try:
        summary = train(workspace)
    except KeyboardInterrupt:
        print(f"\nStopped. {resume_hint(args.out)}", file=sys.stderr)
        return 130
    except WorkerLostError as error:
        print(f"Training stopped: {error}\n{resume_hint(args.out)}", file=sys.stderr)
        return 1
    print(f"top-1 recall {summary['top1_recall']:.4f}, top-3 recall "
          f"{summary['top3_recall']:.4f} on {summary['eval_users']} held-out users "
          f"(most-frequent-words baseline: {summary['baselines']['unigram']['top1_recall']:.4f}"
          f" / {summary['baselines']['unigram']['top3_recall']:.4f}); "
          f"model {summary['model_version']} in {RunDir(args.out).model}")
    if summary["dp"]:
        print(f"differential privacy: epsilon {summary['dp']['epsilon']:.3g} at delta "
              f"{summary['dp']['delta']:.3g} after {summary['dp']['rounds']} rounds "
              f"({summary['dp']['mechanism']}, noise multiplier "
              f"{summary['dp']['noise_multiplier']:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
