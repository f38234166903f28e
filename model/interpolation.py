"""The network interpolated with the n-gram: p = w * softmax(network) + (1 - w) * p_ngram.

Mixing a neural language model with a Kneser-Ney model in probability space is the classic
combination (Mikolov et al. 2011): on short, sparse text the two are wrong about different
words, so the mixture can beat both. `w`, the network's share, is chosen on validation users
(docs/tuning.md), never on the users a figure is reported on. Pure numpy.
"""

from __future__ import annotations

import numpy as np

from model.ngram import KneserNeyModel
from model.suggest import NextWordScorer


def check_weight(weight: float) -> None:
    """Refuses a network share outside [0, 1]."""
    if not 0 <= weight <= 1:
        raise ValueError(f"the network's weight must be in [0, 1], got {weight}")


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Log-probabilities over the last axis, in float64."""
    shifted = logits.astype(np.float64) - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def mix(network_log_probabilities: np.ndarray, ngram_log_probabilities: np.ndarray,
        weight: float) -> np.ndarray:
    """log(weight * p_network + (1 - weight) * p_ngram) from the two log-probabilities, as
    float32 (-inf where both are impossible)."""
    check_weight(weight)
    with np.errstate(divide="ignore"):
        mixed = np.logaddexp(np.log(weight) + network_log_probabilities,
                             np.log(1 - weight) + ngram_log_probabilities)
    return mixed.astype(np.float32)


def interpolate(network_logits: np.ndarray, ngram_log_probabilities: np.ndarray,
                weight: float) -> np.ndarray:
    """log(weight * softmax(network_logits) + (1 - weight) * exp(ngram_log_probabilities)),
    over the last axis (`mix` of the network's log-softmax)."""
    return mix(log_softmax(network_logits), ngram_log_probabilities, weight)


class InterpolatedScorer:
    """A `NextWordScorer`: the network's scorer mixed with the n-gram at `weight`."""

    def __init__(self, network: NextWordScorer, ngram: KneserNeyModel, weight: float):
        check_weight(weight)
        self._network = network
        self._ngram = ngram
        self._weight = weight

    def __call__(self, context_ids: np.ndarray) -> np.ndarray:
        return interpolate(self._network(context_ids),
                           self._ngram.next_log_probabilities(context_ids), self._weight)
