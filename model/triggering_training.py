"""The centralized reference for the triggering model: impression logs to a trained model.

Pure numpy. Examples are built per user in log order, each seeing only that user's earlier
impressions (what a phone would know at that moment). Training is minibatch Adam on the mean
log loss plus an L2 penalty, every random choice (the shuffles) from one seed: the report's
centralized model. The federated trainer builds each client's examples with `log_examples`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from model.triggering import (
    Features,
    PastImpression,
    TriggeringConfig,
    TriggeringModel,
    extract_features,
)


class LoggedImpression(Protocol):
    """What a log example reads of an impression (`data.impressions.ImpressionRecord` has
    it; the model's core does not import the data layer)."""

    user_id: str
    context: str
    candidate: str
    baseline_score: float
    position: int
    clicked: bool

    @property
    def hour(self) -> int: ...


@dataclass(frozen=True)
class FeatureMatrix:
    """Rows of sparse features (CSR): row r is ``indices[indptr[r]:indptr[r + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    values: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def take(self, rows: np.ndarray) -> FeatureMatrix:
        """The given rows, in the given order."""
        lengths = np.diff(self.indptr)[rows]
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        # Position of every kept entry: each row's start, plus 0..length-1.
        offsets = np.arange(indptr[-1]) - np.repeat(indptr[:-1], lengths)
        entries = np.repeat(self.indptr[rows], lengths) + offsets
        return FeatureMatrix(indptr, self.indices[entries], self.values[entries])

    def padded(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows as dense ``[rows, longest row]`` arrays of int32 indices and float32
        values; short rows are padded with index 0 and value 0, which scores nothing."""
        lengths = np.diff(self.indptr)
        width = int(lengths.max(initial=0))
        indices = np.zeros((self.rows, width), dtype=np.int32)
        values = np.zeros((self.rows, width), dtype=np.float32)
        mask = np.arange(width) < lengths[:, None]
        indices[mask] = self.indices
        values[mask] = self.values
        return indices, values


def stack_features(rows: Sequence[Features]) -> FeatureMatrix:
    """One matrix from feature vectors, in order."""
    lengths = [len(row.indices) for row in rows]
    indptr = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
    if not rows:
        return FeatureMatrix(indptr, np.zeros(0, np.int64), np.zeros(0))
    return FeatureMatrix(indptr, np.concatenate([r.indices for r in rows]),
                         np.concatenate([r.values for r in rows]))


def log_examples(
    impressions: Iterable[LoggedImpression], config: TriggeringConfig
) -> tuple[FeatureMatrix, np.ndarray]:
    """Features and 0/1 labels of every impression, in input order.

    Each impression's history is its user's earlier impressions in the input (the log is in
    the order shown), so no example sees its own label or a later one.
    """
    histories: dict[str, list[PastImpression]] = {}
    rows, labels = [], []
    for impression in impressions:
        history = histories.setdefault(impression.user_id, [])
        rows.append(extract_features(
            impression.context, impression.candidate, baseline_score=impression.baseline_score,
            hour=impression.hour, position=impression.position, history=history, config=config))
        labels.append(impression.clicked)
        history.append(PastImpression(impression.candidate, impression.clicked))
        del history[: -config.history_size]  # Only the last ones are ever read.
    return stack_features(rows), np.asarray(labels, dtype=np.float64)


def logits(weights: np.ndarray, bias: float, matrix: FeatureMatrix) -> np.ndarray:
    """One log-odds per row."""
    rows = np.repeat(np.arange(matrix.rows), np.diff(matrix.indptr))
    return np.bincount(rows, weights=weights[matrix.indices] * matrix.values,
                       minlength=matrix.rows) + bias


def predict(model: TriggeringModel, matrix: FeatureMatrix) -> np.ndarray:
    """The tap probability of every row."""
    return 1.0 / (1.0 + np.exp(-np.clip(logits(model.weights, model.bias, matrix), -500, 500)))


@dataclass(frozen=True)
class TrainingConfig:
    """Minibatch Adam on log loss.

    Attributes:
        epochs: Passes over the examples.
        batch_size: Examples per step.
        learning_rate: Adam's step size.
        l2: L2 penalty on the weights (not the bias), per example.
        seed: Seeds the shuffle of every epoch.
    """

    epochs: int = 2
    batch_size: int = 128
    learning_rate: float = 0.003
    l2: float = 1e-5
    seed: int = 0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if not (self.learning_rate > 0 and self.l2 >= 0):
            raise ValueError("learning_rate must be > 0 and l2 >= 0")


def train_logistic_regression(
    matrix: FeatureMatrix,
    labels: np.ndarray,
    *,
    config: TriggeringConfig,
    training: TrainingConfig,
) -> TriggeringModel:
    """Fits weights and bias; the bias starts at the log-odds of the base rate.

    Raises:
        ValueError: No examples, or labels not one per row.
    """
    labels = np.asarray(labels, dtype=np.float64)
    if matrix.rows == 0 or labels.shape != (matrix.rows,):
        raise ValueError(f"need one label per example, got {labels.shape} for {matrix.rows}")
    rate = float(np.clip(labels.mean(), 1e-6, 1 - 1e-6))
    # The bias lives in the last slot of the parameter vector so Adam treats it alike.
    params = np.zeros(config.buckets + 1)
    params[-1] = math.log(rate / (1 - rate))
    first, second = np.zeros_like(params), np.zeros_like(params)
    beta1, beta2, epsilon = 0.9, 0.999, 1e-8
    rng = np.random.default_rng(training.seed)
    step = 0
    for _ in range(training.epochs):
        order = rng.permutation(matrix.rows)
        for start in range(0, matrix.rows, training.batch_size):
            rows = order[start : start + training.batch_size]
            batch = matrix.take(rows)
            weights = params[:-1]
            errors = 1.0 / (1.0 + np.exp(-logits(weights, params[-1], batch))) - labels[rows]
            errors /= len(rows)
            row_of = np.repeat(errors, np.diff(batch.indptr))
            gradient = np.empty_like(params)
            gradient[:-1] = np.bincount(batch.indices, weights=row_of * batch.values,
                                        minlength=config.buckets) + training.l2 * weights
            gradient[-1] = errors.sum()
            step += 1
            first = beta1 * first + (1 - beta1) * gradient
            second = beta2 * second + (1 - beta2) * gradient**2
            corrected = training.learning_rate * math.sqrt(1 - beta2**step) / (1 - beta1**step)
            params -= corrected * first / (np.sqrt(second) + epsilon)
    return TriggeringModel(config, params[:-1], float(params[-1]))
