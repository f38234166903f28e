"""summary.json: the final model's scores and the run's provenance, and what the devices and
the attackers did over the run.

Pure Python: totals over the per-round rows of metrics.csv, so a resumed run reports the
whole run, not just its last invocation.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from importlib import metadata
from typing import Any, Optional

from federated.training.config import TrainConfig
from federated.training.metrics_file import EvalMetrics, RoundMetrics
from federated.training.query_config import QueryTrainConfig
from federated.training.query_metrics import QueryRoundMetrics
from federated.training.workspace import Workspace
from model.export import ExportInfo


def run_summary(workspace: Workspace, history: Sequence[RoundMetrics], final_eval: EvalMetrics,
                export: ExportInfo, *, baselines: dict, eval_oov_rate: float, train_users: int,
                eval_users: int, seconds: float) -> dict[str, Any]:
    """summary.json's scores and provenance (the trainer adds `dp`, `communication`,
    `devices` and `attack`)."""
    return {
        "top1_recall": final_eval.top1_recall,
        "top3_recall": final_eval.top3_recall,
        "top1_recall_without_oov": final_eval.top1_recall_without_oov,
        "eval_loss": final_eval.loss,
        "eval_scored_words": final_eval.scored_words,
        "eval_oov_rate": eval_oov_rate,
        "baselines": baselines,
        "rounds_completed": len(history),
        "round_seconds": [row.seconds for row in history],
        "train_users": train_users,
        "eval_users": eval_users,
        "vocab_size": workspace.vocab.size,
        "model_version": export.version,
        "data": str(workspace.data_path),
        "data_sha256": workspace.data_sha256,
        "config": workspace.config.to_dict(),
        "seconds_this_invocation": round(seconds, 2),
        "software": software_versions(),
    }


def software_versions() -> dict[str, Optional[str]]:
    """summary.json's `software`: the versions of Python and of the libraries that train (None
    for one installed under another distribution name, e.g. tensorflow-cpu)."""
    return {"python": platform.python_version(),
            **{name.replace("-", "_"): _installed_version(name)
               for name in ("tensorflow", "tensorflow-federated", "numpy")}}


def _installed_version(distribution: str) -> Optional[str]:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _total(values) -> int:
    """The sum of a column; empty cells (None: not measured that round) count 0."""
    return sum(value or 0 for value in values)


def devices_summary(config: TrainConfig | QueryTrainConfig,
                    history: Sequence[RoundMetrics | QueryRoundMetrics]) -> dict[str, Any]:
    """Eligibility and dropout settings, and how many devices were sampled, dropped, short.

    `eligible_shortfall` adds up, over the rounds with fewer eligible users than
    `clients_per_round`, how many were missing (those rounds took every eligible user).
    """
    short = [config.clients_per_round - row.eligible for row in history
             if row.eligible is not None and row.eligible < config.clients_per_round]
    return {
        "eligibility": config.devices.eligibility,
        "start_time": config.devices.start_time,
        "round_minutes": config.devices.round_minutes,
        "dropout_rate": config.devices.dropout_rate,
        "sampled": _total(row.sampled for row in history),
        "dropped": _total(row.dropped for row in history),
        "trained": _total(row.clients for row in history),
        "eligible_shortfall": sum(short),
        "rounds_short_of_eligible": len(short),
        "rounds_without_clients": sum(row.clients == 0 for row in history),
    }


def attack_summary(config: TrainConfig, malicious_clients: Sequence[str],
                   history: Sequence[RoundMetrics], *,
                   backdoor_success: Optional[tuple[float, float, int]] = None
                   ) -> dict[str, Any]:
    """The attack's settings, its clients, the updates the aggregator left out (None when it
    measures none, as only the similarity filter does), and the backdoor's success on the
    final model.

    Args:
        backdoor_success: `(top1, top3, contexts)`: how often the target was the first (among
            the three) suggestion(s) after the trigger, over that many contexts; backdoor
            attacks only.
    """
    attack = config.attack
    summary = {
        "attack": attack.attack,
        "malicious_fraction": attack.malicious_fraction,
        "malicious_clients": sorted(malicious_clients),
        "boost_factor": attack.boost_factor,
        "malicious_updates": _total(row.malicious for row in history),
        "left_out_updates": (None if all(row.left_out is None for row in history)
                             else _total(row.left_out for row in history)),
        "backdoor": None,
    }
    if backdoor_success is not None:
        top1, top3, contexts = backdoor_success
        summary["backdoor"] = {"trigger": " ".join(attack.trigger_words),
                               "target": attack.target_word, "contexts": contexts,
                               "success_top1": top1, "success_top3": top3}
    return summary
