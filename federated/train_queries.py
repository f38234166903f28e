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

from federated.aggregators.names import SUM_AGGREGATORS
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
from federated.training.query_config import QueryTrainConfig
from federated.training.query_workspace import QueryWorkspace, prepare_query_workspace
from federated.training.run_dir import RunDir


def build_parser() -> argparse.ArgumentParser:
    defaults = QueryTrainConfig()
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
    add_round_options(parser, rounds=defaults.rounds,
                      clients_per_round=defaults.clients_per_round, seed=defaults.seed,
                      eval_every=defaults.eval_every, eval_fraction=defaults.eval_fraction)
    model = parser.add_argument_group("model and serving")
    model.add_argument("--buckets", type=int, default=defaults.buckets,
                       help="hash buckets of the features, a power of two "
                            "(default %(default)s)")
    model.add_argument("--keep-share", type=float, default=defaults.keep_share,
                       help="the exported threshold shows this share of the training users' "
                            "impressions (default %(default)s)")
    add_client_options(parser, defaults.optimizers, batch_size=defaults.batch_size,
                       local_epochs=defaults.local_epochs)
    add_server_options(parser, defaults.optimizers, aggregators=SUM_AGGREGATORS,
                       aggregator=defaults.aggregator)
    add_device_options(parser, defaults.devices)
    add_privacy_options(parser, "user-level DP and secure aggregation (docs/privacy.md)")
    add_runtime_options(parser, defaults.runtime)
    return parser


def config_from_args(args: argparse.Namespace) -> QueryTrainConfig:
    """Turns parsed arguments into the typed configuration (raises ValueError if invalid)."""
    return QueryTrainConfig(
        rounds=args.rounds, clients_per_round=args.clients_per_round, seed=args.seed,
        eval_every=args.eval_every, eval_fraction=args.eval_fraction, buckets=args.buckets,
        batch_size=args.batch_size, local_epochs=args.local_epochs,
        keep_share=args.keep_share, aggregator=args.aggregator,
        optimizers=optimizer_config(args), devices=device_config(args),
        runtime=runtime_config(args), privacy=privacy_config(args))


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
    from federated.learning.worker import WorkerLostError
    from federated.training.query_run import train_queries

    try:
        summary = train_queries(workspace)
    except KeyboardInterrupt:
        print(f"\nStopped. {resume_hint(args.out)}", file=sys.stderr)
        return 130
    except WorkerLostError as error:
        print(f"Training stopped: {error}\n{resume_hint(args.out)}", file=sys.stderr)
        return 1
    print(f"held-out users' impressions: AUC {summary['auc']:.4f}, log loss "
          f"{summary['log_loss']:.4f}, CTR of the best-scored half {summary['ctr_at_half']:.4f} "
          f"(show always: {summary['show_always_ctr']:.4f}); threshold "
          f"{summary['threshold']:.4f} shows {summary['eval_share_shown']:.1%} of them; model "
          f"{summary['model_version']} in {RunDir(args.out).model}")
    if summary["dp"]:
        print(f"differential privacy: epsilon {summary['dp']['epsilon']:.3g} at delta "
              f"{summary['dp']['delta']:.3g} after {summary['dp']['rounds']} rounds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
