"""Scoring the network interpolated with the n-gram (`model.interpolation`) at many weights
from the same per-batch outputs."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from federated.evaluation.scoring import LogitsFn, RecallScores, score_each
from model.interpolation import check_weight, log_softmax, mix


def weight_sweep(network: LogitsFn, ngram: LogitsFn, weights: Sequence[float],
                 inputs: np.ndarray, targets: np.ndarray) -> dict[float, RecallScores]:
    """The mixture's recall at every weight, computing each model's outputs once per batch
    (ValueError for a weight outside [0, 1], before any is scored)."""
    for weight in weights:
        check_weight(weight)

    def mixtures(batch: np.ndarray) -> dict[float, np.ndarray]:
        network_log_probabilities = log_softmax(network(batch))  # Once for every weight.
        ngram_log_probabilities = ngram(batch)
        return {weight: mix(network_log_probabilities, ngram_log_probabilities, weight)
                for weight in weights}

    return score_each(mixtures, inputs, targets)
