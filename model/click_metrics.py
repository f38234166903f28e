"""Metrics of a triggering model on an impression log: AUC, log loss, CTR at a share kept.

Pure numpy (no TensorFlow), so the report, the tests and the centralized reference share them.
A triggering model only decides *whether* to show a suggestion, so what matters to users is the
click-through rate of the suggestions it keeps: `ctr_at_share_kept` keeps the best-scored share
and reports their CTR. Ties in score are resolved by their expected value (as if broken at
random), so a constant score ("show always") keeps exactly the overall CTR at every share.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

import numpy as np

ArrayLike = Union[np.ndarray, Sequence[float], Sequence[bool]]


def _labels_and_scores(labels: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels, dtype=np.float64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise ValueError(f"need one score per label, got {y.size} labels and {s.size} scores")
    if y.size == 0:
        raise ValueError("need at least one labelled impression")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("labels must be 0/1 (clicked or not)")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite numbers")
    return y, s


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of `values`, ties sharing their average rank."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], values.size]
    ranks = np.empty(values.size)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def auc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve: P(a clicked impression outscores an unclicked one), ties 1/2.

    Raises:
        ValueError: Lengths differ, labels are not 0/1, or only one class is present.
    """
    y, s = _labels_and_scores(labels, scores)
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        raise ValueError("AUC needs both clicked and unclicked impressions")
    rank_sum = float(_average_ranks(s)[y == 1].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def log_loss(labels: ArrayLike, probabilities: ArrayLike, *, epsilon: float = 1e-12) -> float:
    """Mean negative log-likelihood (natural log) of the labels; probabilities are clipped to
    [epsilon, 1 - epsilon] so one confident mistake is large but finite."""
    y, p = _labels_and_scores(labels, probabilities)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must be in [0, 1]")
    p = np.clip(p, epsilon, 1.0 - epsilon)
    return float(-np.mean(y * np.log(p) + (1.0 - y) * np.log1p(-p)))


def ctr_at_share_kept(labels: ArrayLike, scores: ArrayLike, share: float) -> float:
    """CTR of the best-scored `share` of impressions (the ones a threshold would still show).

    Keeps ``share * n`` impressions (fractional at the boundary). Impressions tied at the
    cut count with the fraction of them kept, i.e. the expected CTR under random tie-breaking.

    Raises:
        ValueError: `share` is not in (0, 1], or the inputs are invalid.
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    y, s = _labels_and_scores(labels, scores)
    kept = share * y.size
    order = np.argsort(-s, kind="mergesort")
    sorted_scores, sorted_labels = s[order], y[order]
    clicks = 0.0
    taken = 0.0
    start = 0
    while taken < kept:
        end = int(np.searchsorted(-sorted_scores, -sorted_scores[start], side="right"))
        size = end - start
        fraction = min(1.0, (kept - taken) / size)
        clicks += fraction * float(sorted_labels[start:end].sum())
        taken += fraction * size
        start = end
    return clicks / kept


def lift_at_share_kept(labels: ArrayLike, scores: ArrayLike, share: float) -> float:
    """CTR at `share` kept divided by the CTR of showing every impression (1 = no better)."""
    overall = float(np.mean(np.asarray(labels, dtype=np.float64)))
    if overall == 0:
        raise ValueError("lift needs at least one click")
    return ctr_at_share_kept(labels, scores, share) / overall


def threshold_for_share(scores: ArrayLike, share: float) -> float:
    """The highest threshold that keeps at least `share` of `scores` (those >= it).

    Raises:
        ValueError: `share` is not in (0, 1], or there are no scores.
    """
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share}")
    ordered = np.sort(np.asarray(scores, dtype=np.float64).reshape(-1))[::-1]
    if ordered.size == 0:
        raise ValueError("need at least one score")
    return float(ordered[max(1, math.ceil(share * ordered.size)) - 1])
