"""Suggestion accuracy report of a finished training run.

    python -m federated.report RUN_DIR [--device-logs DATA_DIR] [--compare OTHER_RUN ...]

Writes RUN_DIR/report/report.json, report.md, index.html and PNG plots: the federated model
against a server-trained model, a Kneser-Ney n-gram and the most frequent words, all scored on
the run's held-out users; learning curves; recall per user, per activity level and per
interest; prefix completion; live metrics from device logs; query suggestions (when
RUN_DIR/queries holds a finished `python -m federated.train_queries` run: its triggering model
against centralized, show-always and oracle triggering); provenance. With --compare, also
privacy, attack/defence, device and compression sections: other runs of the same data and
seed that change those options, against this (benign, default) run. The server baseline is
cached in RUN_DIR/report/centralized/ and reused by the next report.
"""

from __future__ import annotations

import argparse
import json
import platform
import shlex
import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

from federated.evaluation.live_metrics import read_live_metrics
from federated.report.comparisons import (
    CompletedRun,
    backdoors_of,
    check_comparable,
    compare_runs,
    read_completed_run,
)
from federated.report.config import ReportConfig
from federated.report.document import render_html, render_markdown
from federated.report.personalization import read_personalization
from federated.report.query_suggestions import query_suggestions
from federated.report.sections import build_sections
from federated.training.metrics_file import RoundMetrics, read_history
from federated.training.run_dir import RunDir, read_run_config
from federated.training.workspace import Workspace, reload_workspace
from model.atomic_files import atomic_write_text
from model.export import ExportError, ExportInfo, read_export_info

GOALS = {"federated_over_centralized_top1": 0.95, "federated_over_ngram_top1": 1.2}
SOFTWARE = ("tensorflow", "tensorflow-federated", "numpy", "matplotlib")


class IncompleteRunError(ValueError):
    """RUN_DIR is missing, not a training run, or not finished."""


def build_parser() -> argparse.ArgumentParser:
    defaults = ReportConfig(run_dir=Path())
    parser = argparse.ArgumentParser(prog="python -m federated.report", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR",
                        help="a finished `python -m federated.train` run directory")
    parser.add_argument("--device-logs", type=Path, metavar="DATA_DIR",
                        help="the keyboard app's --data-dir: adds impression recall and "
                             "click-through rate")
    parser.add_argument("--ngram-order", type=int, default=defaults.ngram_order,
                        help="longest n-gram of the Kneser-Ney baseline (default %(default)s)")
    parser.add_argument("--centralized-lr", type=float,
                        default=defaults.centralized_learning_rate,
                        help="Adam learning rate of the server baseline (default %(default)s)")
    parser.add_argument("--centralized-batch-size", type=int,
                        default=defaults.centralized_batch_size,
                        help="batch size of the server baseline (default %(default)s)")
    parser.add_argument("--compare", type=Path, nargs="+", default=(), metavar="OTHER_RUN",
                        help="finished runs of the same data and seed that change privacy, "
                             "attack, defence, device or compression options: adds sections "
                             "comparing them with RUN_DIR")
    return parser


def config_from_args(args: argparse.Namespace) -> ReportConfig:
    return ReportConfig(run_dir=args.run_dir, device_logs=args.device_logs,
                        ngram_order=args.ngram_order,
                        centralized_learning_rate=args.centralized_lr,
                        centralized_batch_size=args.centralized_batch_size,
                        compare=tuple(args.compare))


def check_run(run_dir: Path) -> tuple[ExportInfo, list[RoundMetrics]]:
    """The run's final export and history, or IncompleteRunError saying what is missing."""
    if not run_dir.is_dir():
        raise IncompleteRunError(f"{run_dir}: no such run directory")
    files = RunDir(run_dir)
    if not files.config.is_file():
        raise IncompleteRunError(f"{run_dir}: not a training run (no {files.config.name}); "
                                 "train one with `python -m federated.train`")
    read_run_config(files)
    history = read_history(files.metrics)
    if not history or not files.summary.is_file():
        raise IncompleteRunError(f"{run_dir}: training has not finished (no summary.json or "
                                 "metrics); finish it with `python -m federated.train --resume`")
    try:
        export = read_export_info(files.model)
    except ExportError as error:
        raise IncompleteRunError(str(error)) from None
    return export, history


def read_compared_runs(config: ReportConfig) -> tuple[CompletedRun, list[CompletedRun]]:
    """The reported run and the --compare runs, each checked finished and comparable."""
    for run_dir in config.compare:
        check_run(run_dir)
    reference = read_completed_run(config.run_dir)
    others = [read_completed_run(run_dir) for run_dir in config.compare]
    for other in others:
        check_comparable(reference, other)
    return reference, others


def eval_texts_by_topic(workspace: Workspace) -> dict[str, list[str]]:
    """The held-out users' messages grouped by their `topic`, when the data has one."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for records in workspace.eval_records.values():
        for record in records:
            if record.topic is not None:
                by_topic[record.topic].append(record.text)
    return dict(by_topic)


def provenance(workspace: Workspace, export: ExportInfo, parameters: int,
               argv: Sequence[str]) -> dict[str, Any]:
    """What the figures depend on: data, seed, run settings, model and software."""
    config = workspace.config
    return {
        "data": str(workspace.data_path), "data_sha256": workspace.data_sha256,
        "seed": config.seed, "rounds": config.rounds,
        "clients_per_round": config.clients_per_round, "local_epochs": config.local_epochs,
        "model_version": export.version,
        "model": ", ".join(f"{k}={v}" for k, v in asdict(export.model_config).items()),
        "parameters": parameters,
        "report_command": shlex.join(["python", "-m", "federated.report", *argv]),
        "train_config": config.to_dict(),
        "software": {"python": platform.python_version(),
                     **{name: metadata.version(name) for name in SOFTWARE}},
    }


def build_report(config: ReportConfig, workspace: Workspace, export: ExportInfo,
                 history: list[RoundMetrics], argv: Sequence[str],
                 compared: tuple[CompletedRun, list[CompletedRun]],
                 queries: Optional[dict[str, Any]]) -> dict[str, Any]:
    """Evaluates the run and writes report.json, report.md, index.html and the plots.

    `compared` is `read_compared_runs(config)`: the run and the --compare runs; `queries` is
    the query-suggestion section (`query_suggestions`, None without a triggering run).
    """
    reference, others = compared
    live = None if config.device_logs is None else asdict(read_live_metrics(config.device_logs))
    # TensorFlow and matplotlib take seconds to import: only once the run is known complete.
    from federated.report.evaluation import evaluate_run
    from federated.report.plots import write_plots

    report: dict[str, Any] = evaluate_run(workspace, export, history,
                                          eval_texts_by_topic(workspace), config,
                                          backdoors=backdoors_of([reference, *others]))
    reference_backdoor = report.pop("reference_backdoor")
    models = report["models"]
    ratios = {"federated_over_centralized_top1":
              models["federated"]["top1_recall"] / models["centralized"]["top1_recall"],
              "federated_over_ngram_top1":
              models["federated"]["top1_recall"] / models["ngram"]["top1_recall"]}
    summary = json.loads(RunDir(config.run_dir).summary.read_text(encoding="utf-8"))
    report.update(
        run={"run_dir": str(config.run_dir), "rounds_completed": len(history),
             "train_examples_processed": sum(row.train_examples for row in history),
             "training_minutes": sum(row.seconds for row in history) / 60,
             "dp": summary["dp"], "communication": summary["communication"]},
        ratios=ratios,
        goals={name: {"value": value, "target": GOALS[name], "met": value >= GOALS[name]}
               for name, value in ratios.items()},
        live=live,
        query_suggestions=queries,
        personalization=read_personalization(config.report_dir, export.version),
        experiments=compare_runs(reference, others, reference_backdoor) if others else None,
        provenance=provenance(workspace, export, models["federated"]["parameters"], argv),
        report_settings=json.loads(json.dumps(asdict(config), default=str)))
    report["plots"] = write_plots(report, history, config.report_dir,
                                  compared={run.name: run.history for run in others})
    atomic_write_text(config.report_dir / "report.json", json.dumps(report, indent=2) + "\n")
    title = f"Suggestion accuracy of {config.run_dir.name} ({export.version})"
    sections = build_sections(report)
    atomic_write_text(config.report_dir / "report.md", render_markdown(title, sections))
    atomic_write_text(config.report_dir / "index.html", render_html(title, sections))
    return report


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
        export, history = check_run(config.run_dir)
        workspace = reload_workspace(config.run_dir)
        compared = read_compared_runs(config)
        if config.device_logs is not None and not config.device_logs.is_dir():
            raise FileNotFoundError(f"--device-logs {config.device_logs}: no such directory")
        queries = query_suggestions(config.run_dir, workspace)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = build_report(config, workspace, export, history, argv, compared, queries)
    models = report["models"]
    print("\n".join(f"{name:12s} top-1 {scores['top1_recall']:.4f}  top-3 "
                    f"{scores['top3_recall']:.4f}" for name, scores in models.items()))
    print(f"federated/centralized {report['ratios']['federated_over_centralized_top1']:.3f}, "
          f"federated/ngram {report['ratios']['federated_over_ngram_top1']:.3f}; "
          f"report in {config.report_dir / 'index.html'}")
    if queries:
        print("query suggestions (held-out impressions): " + ", ".join(
            f"{name} AUC {scores['auc']:.4f} CTR at 50% kept {scores['ctr_at_half']:.4f}"
            for name, scores in queries["models"].items() if scores is not None))
    return 0

