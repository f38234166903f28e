"""Runs compared with the reported one: what each changed, and what that cost or bought.

`python -m federated.report RUN_DIR --compare OTHER_RUN ...` reads each other run's
summary.json and metrics.csv. No model is evaluated again: the trainer scored each run's final
model on the held-out users, which are the same users in every run of the same data, seed and
held-out share (checked). Each run is put in the groups its changes belong to:

- privacy: differential privacy (epsilon, delta) or secure aggregation;
- attacks: boosting or backdoor clients, against the run's aggregator (the defence); the
  goal is clean top-1 recall >= 0.95 x the reference (benign) run, and backdoor success
  within 5 points of the reference model's rate for the same trigger and target;
- devices: dropout and eligibility, with the rounds taken to reach a target recall;
- communication: compressed uploads, bytes per client update.

Pure Python: no TensorFlow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from federated.aggregators.names import AGGREGATORS, MEAN
from federated.training.config import TrainConfig
from federated.training.metrics_file import RoundMetrics, read_history
from federated.training.run_dir import RunDir, read_run_config

# The rounds-to-target target: this share of the reference run's final top-1 recall.
TARGET_SHARE = 0.8
# Issue goals for a defence against 10% attacking clients.
DEFENCE_RECALL_SHARE = 0.95
BACKDOOR_MARGIN = 0.05
# Settings that change how a run is executed or logged, or what its export serves beside the
# network, not what the rounds compute.
_NOT_CHANGES = ("runtime.", "eval_every", "eval_users", "network_weight")


@dataclass(frozen=True)
class CompletedRun:
    """A finished training run, as its summary.json and metrics.csv describe it."""

    name: str
    config: TrainConfig
    summary: Mapping[str, Any]
    history: list[RoundMetrics]


def read_completed_run(run_dir: Path) -> CompletedRun:
    """The run in `run_dir`, or ValueError saying why it is not a finished run."""
    files = RunDir(run_dir)
    if not files.summary.is_file():
        raise ValueError(f"{run_dir}: not a finished training run (no summary.json)")
    read_run_config(files)
    summary = json.loads(files.summary.read_text(encoding="utf-8"))
    return CompletedRun(name=run_dir.name, config=TrainConfig.from_dict(summary["config"]),
                        summary=summary, history=read_history(files.metrics))


def check_comparable(reference: CompletedRun, other: CompletedRun) -> None:
    """ValueError unless `other` was scored on the reference's held-out users."""
    problems = [f"{what} {mine!r} vs {theirs!r}" for what, mine, theirs in (
        ("data sha256", reference.summary["data_sha256"], other.summary["data_sha256"]),
        ("seed", reference.config.seed, other.config.seed),
        ("held-out share", reference.config.eval_fraction, other.config.eval_fraction),
        ("max words", reference.config.max_words, other.config.max_words),
    ) if mine != theirs]
    if problems:
        raise ValueError(f"--compare {other.name}: not scored on the same held-out examples "
                         f"as {reference.name} ({'; '.join(problems)})")


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_changes(reference: TrainConfig, other: TrainConfig) -> dict[str, Any]:
    """The settings of `other` that differ from `reference`, by their last name
    (e.g. {"dropout_rate": 0.3}); execution settings (TFF runtime, eval interval) and the
    export's network weight left out."""
    mine, theirs = _flatten(reference.to_dict()), _flatten(other.to_dict())
    return {name.rsplit(".", 1)[-1]: theirs[name] for name in sorted(theirs)
            if theirs[name] != mine.get(name) and not name.startswith(_NOT_CHANGES)}


def rounds_to_recall(history: Sequence[RoundMetrics], target: float) -> Optional[int]:
    """The first evaluated round whose held-out top-1 recall reached `target`, if any."""
    return next((row.round for row in history if row.eval_top1_recall is not None
                 and row.eval_top1_recall >= target), None)


def _attack_row(run: CompletedRun, reference_top1: float,
                benign_backdoor: Mapping[str, tuple[float, float]]) -> Optional[dict[str, Any]]:
    attack = run.summary["attack"]
    if attack["attack"] == "none":
        return None
    row = {"attack": attack["attack"], "malicious_fraction": attack["malicious_fraction"],
           "boost_factor": attack["boost_factor"],
           "malicious_updates": attack["malicious_updates"],
           "aggregator": run.config.aggregator,
           "defence": AGGREGATORS[run.config.aggregator].defence + (
               f" of buckets of {run.config.bucket_size}" if run.config.bucket_size > 1
               else ""),
           "left_out_updates": attack["left_out_updates"],
           "backdoor": None}
    recall_kept = run.summary["top1_recall"] / reference_top1 >= DEFENCE_RECALL_SHARE
    backdoor_contained = True
    if attack["backdoor"] is not None:
        backdoor = attack["backdoor"]
        key = backdoor_key(backdoor["trigger"], backdoor["target"])
        benign_top1, benign_top3 = benign_backdoor[key]
        row["backdoor"] = {**backdoor, "benign_top1": benign_top1, "benign_top3": benign_top3}
        backdoor_contained = (backdoor["success_top1"] - benign_top1 <= BACKDOOR_MARGIN
                              and backdoor["success_top3"] - benign_top3 <= BACKDOOR_MARGIN)
    row["meets_goal"] = (attack["malicious_fraction"] > 0 and recall_kept
                         and backdoor_contained)
    return row


def backdoor_key(trigger: str, target: str) -> str:
    """How report.json names a backdoor: "trigger -> target"."""
    return f"{trigger} -> {target}"


def backdoors_of(runs: Sequence[CompletedRun]) -> list[tuple[str, str]]:
    """The distinct (trigger, target) pairs the runs' backdoor attacks planted."""
    pairs = {(attack["backdoor"]["trigger"], attack["backdoor"]["target"])
             for attack in (run.summary["attack"] for run in runs)
             if attack["backdoor"]}
    return sorted(pairs)


def run_row(run: CompletedRun, reference: CompletedRun,
            benign_backdoor: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """One run's line in report.json `experiments.runs`."""
    reference_top1 = reference.summary["top1_recall"]
    config = run.config
    attack = _attack_row(run, reference_top1, benign_backdoor)
    communication = run.summary["communication"]
    groups = [name for name, member in (
        ("privacy", config.privacy.dp or config.privacy.secure_aggregation),
        ("attacks", attack is not None),
        ("devices", config.devices.dropout_rate > 0 or config.devices.eligibility),
        ("communication", config.privacy.compress_bits is not None)) if member]
    return {
        "run": run.name,
        "changes": config_changes(reference.config, config),
        "groups": groups,
        "rounds_completed": len(run.history),
        "top1_recall": run.summary["top1_recall"],
        "top3_recall": run.summary["top3_recall"],
        "top1_vs_reference": run.summary["top1_recall"] / reference_top1,
        "rounds_to_target": rounds_to_recall(run.history, TARGET_SHARE * reference_top1),
        "dp": run.summary["dp"],
        "secure_aggregation": config.privacy.secure_aggregation,
        "attack": attack,
        "devices": {"dropout_rate": config.devices.dropout_rate,
                    "eligibility": config.devices.eligibility,
                    "sampled": sum(row.sampled for row in run.history),
                    "dropped": sum(row.dropped for row in run.history)},
        "communication": {
            "bits": config.privacy.compress_bits,
            "bytes_per_update": communication["bytes_per_update"],
            "uncompressed_bytes_per_update": communication["uncompressed_bytes_per_update"]},
    }


def compare_runs(reference: CompletedRun, others: Sequence[CompletedRun],
                 benign_backdoor: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    """report.json `experiments`: the reference and every compared run, with the goals.

    Args:
        reference: the reported run (the benign, default one to compare against).
        others: runs of the same data and split (`check_comparable`).
        benign_backdoor: the reference model's backdoor success (top-1, top-3) for each
            `backdoor_key` of the compared backdoor runs.
    """
    rows = [run_row(run, reference, benign_backdoor) for run in others]
    defended = [row["attack"] for row in rows
                if row["attack"] and row["attack"]["aggregator"] != MEAN]
    return {
        "reference": run_row(reference, reference, benign_backdoor),
        "target_top1_recall": TARGET_SHARE * reference.summary["top1_recall"],
        "runs": rows,
        "benign_backdoor": {key: {"top1": top1, "top3": top3}
                            for key, (top1, top3) in benign_backdoor.items()},
        # Per attack: does some defence (any aggregator but the plain mean) meet the goal?
        "goals": {"defence": {
            attack: any(row["meets_goal"] for row in defended if row["attack"] == attack)
            for attack in sorted({row["attack"] for row in defended})}},
    }
