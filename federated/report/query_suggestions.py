"""The report's query-suggestion section: the federated triggering model against its
baselines, on the held-out users' impression logs.

Reads the triggering run at RUN_DIR/queries (`python -m federated.train_queries`), which must
hold out the same users as RUN_DIR (same histories, seed and held-out share). Models, all
scoring the same held-out impressions:

- federated: the run's exported model;
- centralized: the same logistic regression (same features and buckets) trained here on the
  pooled training users' impressions with the numpy reference trainer
  (`model.triggering_training`, minibatch Adam, seeded by the run's seed);
- show_always: every impression shown (a constant score: the training users' CTR);
- oracle: the simulated true tap probability logged with each impression (None when the log
  has none).

Pure Python + numpy.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

import numpy as np

from data.impressions import impressions_path, read_impressions
from federated.report.document import Figure, Section, Table, percent
from federated.training.metrics_file import read_rows
from federated.training.query_metrics import QueryRoundMetrics
from federated.training.query_workspace import log_paths
from federated.training.run_dir import RunDir, read_run_config
from federated.training.workspace import Workspace, file_sha256
from model.click_metrics import auc, ctr_at_share_kept, log_loss
from model.export import ExportError
from model.triggering_export import read_triggering_export
from model.triggering_training import (
    TrainingConfig,
    log_examples,
    predict,
    train_logistic_regression,
)

# The goals: on held-out users at half of the impressions kept.
GOALS = {"federated_ctr_at_half_over_show_always": 1.5,
         "federated_lift_over_oracle_lift": 0.9,
         "federated_auc_over_centralized": 0.98}
AUC_TARGET_OF_CENTRALIZED = 0.9
SHARES = tuple(round(share, 2) for share in np.linspace(0.05, 1.0, 20))
MODEL_LABELS = {"federated": "Federated triggering (FedAvg)",
                "centralized": "Centralized (same model, pooled training logs)",
                "show_always": "Show always", "oracle": "Oracle (true tap probability)"}


def model_scores(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """`auc`, `log_loss`, `ctr` (all impressions), `ctr_at_half` (the best-scored half kept)
    and `lift_at_half` (`ctr_at_half / ctr`; None without a tap) of one model's tap
    probabilities."""
    ctr = float(labels.mean())
    at_half = ctr_at_share_kept(labels, scores, 0.5)
    return {"auc": auc(labels, scores), "log_loss": log_loss(labels, scores), "ctr": ctr,
            "ctr_at_half": at_half, "lift_at_half": at_half / ctr if ctr else None}


def rounds_to_auc(history: list[QueryRoundMetrics], target: float) -> Optional[int]:
    """The first evaluated round whose held-out AUC reached `target` (None: none did)."""
    return next((row.round for row in history
                 if row.eval_auc is not None and row.eval_auc >= target), None)


def _check_pairing(run: RunDir, workspace: Workspace) -> dict[str, Any]:
    """The triggering run's config.json, refused (ValueError, one line) unless it holds out
    the same users as the next-word run and its logs are unchanged."""
    saved = read_run_config(run)
    train, config = saved["train"], workspace.config
    if (saved["data_sha256"] != workspace.data_sha256 or train["seed"] != config.seed
            or train["eval_fraction"] != config.eval_fraction):
        raise ValueError(f"{run.path} was not trained on {workspace.data_path} with --seed "
                         f"{config.seed} --eval-fraction {config.eval_fraction}, so its "
                         "held-out users differ: train it again with those")
    now = {kind: file_sha256(path) for kind, path in log_paths(workspace.data_path).items()}
    if saved.get("logs_sha256") != now:
        raise ValueError(f"{run.path}: the logs beside {workspace.data_path} have changed "
                         "since it was trained")
    return saved


def query_suggestions(run_dir: Path, workspace: Workspace) -> Optional[dict[str, Any]]:
    """report.json's `query_suggestions`, or None when RUN_DIR has no finished triggering run.

    Raises:
        ValueError: the triggering run holds out other users, or its logs changed.
    """
    run = RunDir(run_dir).queries
    if not run.summary.is_file():  # No triggering run, or not finished.
        return None
    try:
        export = read_triggering_export(run.model)
    except ExportError as error:
        print(f"query suggestions left out: {error}", file=sys.stderr)
        return None
    saved = _check_pairing(run, workspace)
    history = read_rows(run.metrics, QueryRoundMetrics)
    impressions = read_impressions(impressions_path(workspace.data_path),
                                   skip_bad=True).impressions
    train = [i for i in impressions if i.user_id in workspace.train_texts]
    held_out = [i for i in impressions if i.user_id in workspace.eval_records]
    features = export.model.config
    train_matrix, train_labels = log_examples(train, features)
    matrix, labels = log_examples(held_out, features)
    centralized = train_logistic_regression(train_matrix, train_labels, config=features,
                                            training=TrainingConfig(seed=saved["train"]["seed"]))
    scores = {"federated": predict(export.model, matrix),
              "centralized": predict(centralized, matrix),
              "show_always": np.full(labels.size, train_labels.mean())}
    oracle = None
    if all(i.click_probability is not None for i in held_out):
        scores["oracle"] = oracle = np.array([i.click_probability for i in held_out])
    models = {name: model_scores(labels, score) for name, score in scores.items()}
    models.setdefault("oracle", None)
    target = AUC_TARGET_OF_CENTRALIZED * models["centralized"]["auc"]
    shown = scores["federated"] >= export.threshold
    ratios = {
        "federated_ctr_at_half_over_show_always":
            models["federated"]["ctr_at_half"] / models["show_always"]["ctr_at_half"],
        "federated_lift_over_oracle_lift": (
            None if oracle is None
            else models["federated"]["lift_at_half"] / models["oracle"]["lift_at_half"]),
        "federated_auc_over_centralized":
            models["federated"]["auc"] / models["centralized"]["auc"]}
    return {
        "models": models,
        "impressions": int(labels.size),
        "clicks": int(labels.sum()),
        "users": len({i.user_id for i in held_out}),
        "train_impressions": int(train_labels.size),
        "curves": {"shares": list(SHARES),
                   "ctr": {name: [ctr_at_share_kept(labels, score, share) for share in SHARES]
                           for name, score in scores.items()}},
        "auc_by_round": [[row.round, row.eval_auc] for row in history
                         if row.eval_auc is not None],
        "centralized_auc_target": target,
        "rounds_to_target_auc": rounds_to_auc(history, target),
        "goals": {name: {"value": value, "target": GOALS[name],
                         "met": None if value is None else value >= GOALS[name]}
                  for name, value in ratios.items()},
        "serving": {"model_version": export.version, "threshold": export.threshold,
                    "keep_share": export.keep_share, "share_shown": float(shown.mean()),
                    "ctr_shown": float(labels[shown].mean()) if shown.any() else None},
        "run": {"run_dir": str(run.path), "rounds_completed": len(history),
                "training_minutes": sum(row.seconds for row in history) / 60},
        # The keyboard does not log query-suggestion impressions yet (no chips).
        "live": None,
    }


def query_section(report: Mapping[str, Any]) -> Section:
    """The report's query-suggestion section, from report.json's `query_suggestions`."""
    queries = report["query_suggestions"]
    if queries is None:
        return Section("Query suggestions", [
            "No finished triggering run in RUN_DIR/queries (train one with `python -m "
            "federated.train_queries --data DATA --out RUN_DIR/queries --seed SEED`)."])
    rows = [[MODEL_LABELS[name], f"{scores['auc']:.4f}", f"{scores['log_loss']:.4f}",
             percent(scores["ctr"]), percent(scores["ctr_at_half"]),
             f"{scores['lift_at_half']:.3f}"]
            for name, scores in queries["models"].items() if scores is not None]
    goals = "; ".join(
        f"{name.replace('_', ' ')} "
        + ("unknown (no oracle)" if goal["value"] is None else
           f"{goal['value']:.3f} ({'meets' if goal['met'] else 'misses'} >= {goal['target']})")
        for name, goal in queries["goals"].items())
    serving, rounds = queries["serving"], queries["rounds_to_target_auc"]
    return Section("Query suggestions", [
        f"Whether to show a query suggestion: {queries['impressions']} impressions "
        f"({queries['clicks']} tapped) of {queries['users']} held-out users, never trained "
        "on. Centralized: the same logistic regression trained on the pooled training users' "
        "impressions; show always: no triggering; oracle: the simulated true tap probability.",
        Table(["Model", "AUC", "Log loss", "CTR (all)", "CTR at 50% kept", "Lift at 50%"],
              rows),
        f"Goals: {goals}. Rounds to reach {AUC_TARGET_OF_CENTRALIZED:.0%} of the centralized "
        f"AUC ({queries['centralized_auc_target']:.4f}): "
        f"{'not reached' if rounds is None else rounds} of "
        f"{queries['run']['rounds_completed']}.",
        f"Served threshold {serving['threshold']:.4f} (keeps {percent(serving['keep_share'])} "
        f"of the training users' impressions) shows {percent(serving['share_shown'])} of the "
        f"held-out impressions, with CTR {percent(serving['ctr_shown'])}.",
        "Live CTR: the keyboard does not log query-suggestion impressions yet.",
        Figure(report["plots"]["query_suggestions"],
               "CTR against the share of impressions kept; held-out AUC by round"),
    ])
