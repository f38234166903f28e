"""Keyboard metrics as Gboard reports them: masked top-k recall over typed words.

Top-k recall is the share of typed words, after each message's first word, whose actual
next word is among the k suggestions. Suggestions are real words only (special tokens are
never shown), so an out-of-vocabulary target is always a miss. `exclude_oov=True` drops OOV
targets from the count instead, for comparison with the Stack Overflow benchmark.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import tensorflow as tf

from model.vocab import BOS_ID, EOS_ID, NUM_SPECIAL_TOKENS, OOV_ID, PAD_ID


def scored_positions(targets: tf.Tensor, *, exclude_oov: bool) -> tf.Tensor:
    """Boolean mask of the targets that count: typed words after each message's first word."""
    targets = tf.convert_to_tensor(targets)
    positions = tf.range(tf.shape(targets)[-1])
    mask = positions > 0  # Position 0 predicts the first word from BOS alone.
    for excluded in (PAD_ID, BOS_ID, EOS_ID, *((OOV_ID,) if exclude_oov else ())):
        mask = tf.logical_and(mask, tf.not_equal(targets, excluded))
    return mask


def top_k_hits(targets: tf.Tensor, logits: tf.Tensor, *, k: int) -> tf.Tensor:
    """Boolean tensor: is each target among the `k` best-scoring real words?"""
    targets = tf.cast(targets, tf.int32)
    word_logits = logits[..., NUM_SPECIAL_TOKENS:]  # Special tokens are never suggested.
    _, top_words = tf.math.top_k(word_logits, k=k)
    return tf.reduce_any(tf.equal(top_words + NUM_SPECIAL_TOKENS, targets[..., None]), axis=-1)


class MaskedTopKRecall(tf.keras.metrics.Metric):
    """Top-k recall over scored target positions, weighted by words typed."""

    def __init__(self, k: int, *, exclude_oov: bool = False, name: str | None = None,
                 **kwargs):
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        default_name = f"top{k}_recall" + ("_without_oov" if exclude_oov else "")
        super().__init__(name=name or default_name, **kwargs)
        self.k = k
        self.exclude_oov = exclude_oov
        self.hits = self.add_weight(name="hits", initializer="zeros", dtype=tf.float32)
        self.words = self.add_weight(name="words", initializer="zeros", dtype=tf.float32)

    def update_state(self, y_true, y_pred, sample_weight=None):
        del sample_weight  # Every typed word counts once.
        mask = scored_positions(y_true, exclude_oov=self.exclude_oov)
        hits = tf.logical_and(mask, top_k_hits(y_true, y_pred, k=self.k))
        self.hits.assign_add(tf.reduce_sum(tf.cast(hits, tf.float32)))
        self.words.assign_add(tf.reduce_sum(tf.cast(mask, tf.float32)))

    def result(self):
        return tf.math.divide_no_nan(self.hits, self.words)

    def get_config(self):
        return {**super().get_config(), "k": self.k, "exclude_oov": self.exclude_oov}


class ScoredWords(tf.keras.metrics.Metric):
    """How many target words were scored (the recall denominator): weights per-user means."""

    def __init__(self, name: str = "scored_words", **kwargs):
        super().__init__(name=name, **kwargs)
        self.words = self.add_weight(name="words", initializer="zeros", dtype=tf.float32)

    def update_state(self, y_true, y_pred, sample_weight=None):
        del y_pred, sample_weight
        mask = scored_positions(y_true, exclude_oov=False)
        self.words.assign_add(tf.reduce_sum(tf.cast(mask, tf.float32)))

    def result(self):
        return self.words


def keyboard_metric_builders() -> list[Callable[[], tf.keras.metrics.Metric]]:
    """Zero-argument constructors of every metric the trainer and the report track.

    Constructors, not instances, because TFF builds fresh metrics inside each computation.
    """
    return [functools.partial(MaskedTopKRecall, 1), functools.partial(MaskedTopKRecall, 3),
            functools.partial(MaskedTopKRecall, 1, exclude_oov=True), ScoredWords]
