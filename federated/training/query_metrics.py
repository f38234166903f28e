"""The triggering run's per-round rows (its metrics.csv) and its held-out scores.

Pure Python + numpy: the held-out users' impressions are scored with the numpy model the
export serves (`model.triggering`), with the metrics the report uses (`model.click_metrics`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np

from federated.training.metrics_file import RoundOutcome, write_rows
from model.click_metrics import auc, ctr_at_share_kept, log_loss
from model.triggering import TriggeringModel
from model.triggering_training import FeatureMatrix, predict

HALF = 0.5


@dataclass(frozen=True)
class QueryEval:
    """A triggering model's scores on the held-out users' impressions.

    Attributes:
        auc: area under the ROC curve of the tap probabilities.
        log_loss: mean log loss of the taps.
        ctr_at_half: click-through rate of the best-scored half of the impressions.
    """

    auc: float
    log_loss: float
    ctr_at_half: float


def score_triggering(model: TriggeringModel, matrix: FeatureMatrix,
                     labels: np.ndarray) -> QueryEval:
    """Scores `model` on the impressions `matrix` (one row per impression) and their taps."""
    probabilities = predict(model, matrix)
    return QueryEval(auc=auc(labels, probabilities), log_loss=log_loss(labels, probabilities),
                     ctr_at_half=ctr_at_share_kept(labels, probabilities, HALF))


@dataclass(frozen=True)
class QueryRoundMetrics:
    """What one triggering round did; eval fields are None in rounds without evaluation.

    `clients`, `sampled`, `dropped`, `eligible` as in the next-word run's `RoundMetrics`;
    `train_examples` counts the impressions the clients trained on (local epochs included),
    `train_loss` is their mean log loss during local training (NaN if nobody trained).
    """

    round: int
    seconds: float
    clients: int
    train_examples: int
    train_loss: float
    eval_log_loss: Optional[float] = None
    eval_auc: Optional[float] = None
    eval_ctr_at_half: Optional[float] = None
    sampled: Optional[int] = None
    dropped: Optional[int] = None
    eligible: Optional[int] = None


class QueryRecorder:
    """The `RoundRecorder` of the triggering run (`federated.training.round_loop`)."""

    def row(self, outcome: RoundOutcome) -> QueryRoundMetrics:
        plan, evaluation = outcome.plan, outcome.evaluation
        return QueryRoundMetrics(
            round=outcome.round, seconds=outcome.seconds, clients=len(plan.trained),
            train_examples=int(outcome.train.get("num_examples", 0)),
            train_loss=float(outcome.train.get("loss", math.nan)),
            eval_log_loss=None if evaluation is None else evaluation.log_loss,
            eval_auc=None if evaluation is None else evaluation.auc,
            eval_ctr_at_half=None if evaluation is None else evaluation.ctr_at_half,
            sampled=len(plan.sampled), dropped=plan.dropped, eligible=plan.eligible)

    def write(self, path: Path, rows: Sequence[QueryRoundMetrics]) -> None:
        write_rows(path, rows, QueryRoundMetrics)

    def progress(self, rows: Sequence[QueryRoundMetrics]) -> dict[str, str]:
        evaluated = [row for row in rows if row.eval_auc is not None]
        return {"loss": f"{rows[-1].train_loss:.3f}", "s_per_round": f"{rows[-1].seconds:.1f}",
                "eval_auc": f"{evaluated[-1].eval_auc:.3f}" if evaluated else "-"}
