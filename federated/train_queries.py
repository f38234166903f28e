"""Train the query-suggestion triggering model with TFF over per-user impression logs.

    python -m federated.train_queries --data h.jsonl --out runs/demo/run/queries --seed 1
        [--device-logs DATA_DIR]

Reads FILE.jsonl (typing histories: they decide the user split, exactly as
`python -m federated.train` splits them with the same --seed and --eval-fraction) and the
logs beside it, FILE.impressions.jsonl and FILE.searches.jsonl (`python -m data.generate`
writes them). Candidates come from the training users' searches; each training user's phone
trains the logistic regression on its own impressions (FedAvg); the held-out users' impressions
score it after every evaluated round. Writes summary.json, metrics.csv, config.json,
checkpoints/ and the export OUT/model (triggering weights, candidates and the threshold that
keeps --keep-share of the training users' impressions; docs/DESIGN.md). Put OUT at
RUN_DIR/queries of the next-word run trained on the same data and seed, and
`python -m federated.report RUN_DIR` reports it. Ctrl-C stops after saving; `--resume`
continues. `--device-logs` adds the keyboard's devices' query chips (tapped: 1, ignored: 0) as
clients, first in this invocation's first round.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from federated.aggregators.names import AGGREGATORS, SUM_AGGREGATORS
from federated.learning.options import SERVER_OPTIMIZERS, OptimizerConfig, RuntimeConfig
from federated.privacy.options import DEFAULT_DP_CLIP, DP_MECHANISMS, PrivacyConfig
from federated.simulation.options import DeviceConfig
from federated.training.query_config import QueryTrainConfig
from federated.training.query_workspace import QueryWorkspace, prepare_query_workspace


def build_parser() -> argparse.ArgumentParser:
    defaults = QueryTrainConfig()
    optimizers, runtime, devices = defaults.optimizers, defaults.runtime, defaults.devices
    parser = argparse.ArgumentParser(
        prog="python -m federated.train_queries", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path,
                        help="typing histories, JSONL; the impression and search logs are "
                             "read from beside it")
    parser.add_argument("--out", required=True, type=Path,
                        help="run directory to write (RUN_DIR/queries of the next-word run)")
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its last checkpoint "
                             "(starts fresh if it has none)")
    parser.add_argument("--device-logs", type=Path, metavar="DATA_DIR",
                        help="the keyboard app's device data directory: each device's query "
                             "chips (tapped or not) become its local data; devices are phones "
                             "like the others, and take the first places of this "
                             "invocation's first round")
    parser.add_argument("--skip-bad-records", action="store_true",
                        help="skip malformed lines of the histories and logs (and say how "
                             "many) instead of refusing the file")
    run = parser.add_argument_group("rounds")
    run.add_argument("--rounds", type=int, default=defaults.rounds,
                     help="federated rounds (default %(default)s)")
    run.add_argument("--clients-per-round", type=int, default=defaults.clients_per_round,
                     help="devices sampled per round (default %(default)s)")
    run.add_argument("--seed", type=int, default=defaults.seed,
                     help="seeds the user split (as federated.train's), sampling and "
                          "shuffling (default %(default)s)")
    run.add_argument("--eval-every", type=int, default=defaults.eval_every,
                     help="score on held-out users every N rounds (default %(default)s)")
    run.add_argument("--eval-fraction", type=float, default=defaults.eval_fraction,
                     help="share of users held out, as federated.train's "
                          "(default %(default)s)")
    model = parser.add_argument_group("model and serving")
    model.add_argument("--buckets", type=int, default=defaults.buckets,
                       help="hash buckets of the features, a power of two "
                            "(default %(default)s)")
    model.add_argument("--keep-share", type=float, default=defaults.keep_share,
                       help="the exported threshold shows this share of the training users' "
                            "impressions (default %(default)s)")
    client = parser.add_argument_group("clients")
    client.add_argument("--batch-size", type=int, default=defaults.batch_size,
                        help="client batch size, impressions (default %(default)s)")
    client.add_argument("--local-epochs", type=int, default=defaults.local_epochs,
                        help="passes over local impressions per round (default %(default)s)")
    client.add_argument("--client-lr", type=float, default=optimizers.client_learning_rate,
                        help="client SGD learning rate (default %(default)s)")
    server = parser.add_argument_group("server")
    server.add_argument("--server-optimizer", choices=SERVER_OPTIMIZERS,
                        default=optimizers.server_optimizer,
                        help="applies the averaged update (default %(default)s)")
    server.add_argument("--server-lr", type=float, default=optimizers.server_learning_rate,
                        help="server learning rate (default %(default)s)")
    server.add_argument("--server-epsilon", type=float, default=optimizers.server_epsilon,
                        help="adam/yogi epsilon (default %(default)s)")
    server.add_argument("--server-momentum", type=float, default=optimizers.server_momentum,
                        help="sgdm momentum (default %(default)s)")
    server.add_argument("--aggregator", choices=SUM_AGGREGATORS, default=defaults.aggregator,
                        help="; ".join(f"{name}: {AGGREGATORS[name].description}"
                                       for name in SUM_AGGREGATORS) + " (default %(default)s)")
    phones = parser.add_argument_group("devices")
    phones.add_argument("--eligibility", action="store_true",
                        help="sample only phones that are idle, charging and on wifi at the "
                             "round's simulated clock time (from each user's timestamps)")
    phones.add_argument("--start-time", default=devices.start_time, metavar="HH:MM",
                        help="simulated clock time of round 1 (default %(default)s)")
    phones.add_argument("--round-minutes", type=float, default=devices.round_minutes,
                        help="simulated minutes between rounds (default %(default)s)")
    phones.add_argument("--dropout-rate", type=float, default=devices.dropout_rate,
                        help="chance that a sampled device fails mid-round "
                             "(default %(default)s)")
    privacy = parser.add_argument_group("privacy")
    privacy.add_argument("--secure-aggregation", action="store_true",
                         help="the server receives updates and metrics only as sums")
    privacy.add_argument("--dp-noise-multiplier", type=float, metavar="Z",
                         help="user-level differential privacy: clip each update, add Gaussian "
                              "noise of Z clip norms to their sum; summary.json reports "
                              "(epsilon, delta)")
    privacy.add_argument("--dp-mechanism", choices=DP_MECHANISMS,
                         help="adaptive (DP-FedAvg) or tree (DP-FTRL) (default adaptive)")
    privacy.add_argument("--dp-clip", type=float, metavar="C",
                         help=f"L2 clip norm, or its starting value (default {DEFAULT_DP_CLIP})")
    privacy.add_argument("--dp-delta", type=float, metavar="D",
                         help="delta of the reported (epsilon, delta) "
                              "(default 1 / training users^1.1)")
    engine = parser.add_argument_group("TFF runtime")
    engine.add_argument("--max-concurrent-clients", type=int,
                        default=runtime.max_concurrent_calls,
                        help="clients the worker trains at once; <= 0: no limit "
                             "(default %(default)s)")
    engine.add_argument("--intra-op-threads", type=int, default=runtime.intra_op_threads,
                        help="TF threads per op in the worker; 0: TF decides "
                             "(default %(default)s)")
    engine.add_argument("--inter-op-threads", type=int, default=runtime.inter_op_threads,
                        help="TF ops in parallel in the worker; 0: TF decides "
                             "(default %(default)s)")
    return parser


def config_from_args(args: argparse.Namespace) -> QueryTrainConfig:
    """Turns parsed arguments into the typed configuration (raises ValueError if invalid)."""
    return QueryTrainConfig(
        rounds=args.rounds, clients_per_round=args.clients_per_round, seed=args.seed,
        eval_every=args.eval_every, eval_fraction=args.eval_fraction, buckets=args.buckets,
        batch_size=args.batch_size, local_epochs=args.local_epochs,
        keep_share=args.keep_share, aggregator=args.aggregator,
        optimizers=OptimizerConfig(
            client_learning_rate=args.client_lr, server_optimizer=args.server_optimizer,
            server_learning_rate=args.server_lr, server_epsilon=args.server_epsilon,
            server_momentum=args.server_momentum),
        devices=DeviceConfig(eligibility=args.eligibility, start_time=args.start_time,
                             round_minutes=args.round_minutes,
                             dropout_rate=args.dropout_rate),
        runtime=RuntimeConfig(max_concurrent_calls=args.max_concurrent_clients,
                              intra_op_threads=args.intra_op_threads,
                              inter_op_threads=args.inter_op_threads),
        privacy=PrivacyConfig(
            secure_aggregation=args.secure_aggregation,
            dp_noise_multiplier=args.dp_noise_multiplier, dp_mechanism=args.dp_mechanism,
            dp_clip=args.dp_clip, dp_delta=args.dp_delta))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        workspace: QueryWorkspace = prepare_query_workspace(
            args.data, args.out, config_from_args(args), resume=args.resume,
            skip_bad=args.skip_bad_records, device_logs=args.device_logs)
    except (ValueError, FileNotFoundError, IsADirectoryError) as error:
        parser.error(str(error))
    # TensorFlow takes seconds to import: only after the arguments and data are known good.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from federated.training.query_run import train_queries

    try:
        summary = train_queries(workspace)
    except KeyboardInterrupt:
        print(f"\nStopped. Completed rounds are saved in {args.out}; continue with --resume.",
              file=sys.stderr)
        return 130
    print(f"held-out users' impressions: AUC {summary['auc']:.4f}, log loss "
          f"{summary['log_loss']:.4f}, CTR of the best-scored half {summary['ctr_at_half']:.4f} "
          f"(show always: {summary['show_always_ctr']:.4f}); threshold "
          f"{summary['threshold']:.4f} shows {summary['eval_share_shown']:.1%} of them; model "
          f"{summary['model_version']} in {args.out / 'model'}")
    if summary["dp"]:
        print(f"differential privacy: epsilon {summary['dp']['epsilon']:.3g} at delta "
              f"{summary['dp']['delta']:.3g} after {summary['dp']['rounds']} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
