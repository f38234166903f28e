"""Scoring any next-word scorer on held-out examples, and the most-frequent-words baseline."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import tensorflow as tf

from federated.simulation.attacks import backdoor_contexts, backdoor_examples
from model.metrics import MaskedTopKRecall, scored_positions, top_k_hits
from model.vocab import NUM_SPECIAL_TOKENS, OOV_ID, Vocabulary

LogitsFn = Callable[[np.ndarray], np.ndarray]  # inputs [B, L] -> logits [B, L, V]
Name = TypeVar("Name", bound=Hashable)


@dataclass(frozen=True)
class RecallScores:
    """Top-k recall of one scorer on one set of examples (DESIGN.md, "Metrics")."""

    top1_recall: float
    top3_recall: float
    top1_recall_without_oov: float
    scored_words: int


def score(logits_fn: LogitsFn, inputs: np.ndarray, targets: np.ndarray, *,
          batch_size: int = 128) -> RecallScores:
    """Computes the keyboard metrics of `logits_fn` over all examples, in batches (zeros
    when there are none)."""
    return score_each(lambda batch: {"": logits_fn(batch)}, inputs, targets,
                      batch_size=batch_size).get("", RecallScores(0.0, 0.0, 0.0, 0))


def score_each(logits_by_name: Callable[[np.ndarray], Mapping[Name, np.ndarray]],
               inputs: np.ndarray, targets: np.ndarray, *,
               batch_size: int = 128) -> dict[Name, RecallScores]:
    """`score` of several scorers that share work per batch: `logits_by_name(batch)` returns
    each scorer's logits for that batch (e.g. mixtures of the same two models' outputs)."""
    metrics: dict[Name, list[MaskedTopKRecall]] = {}
    for start in range(0, len(inputs), batch_size):
        batch_targets = targets[start:start + batch_size]
        for name, logits in logits_by_name(inputs[start:start + batch_size]).items():
            if name not in metrics:
                metrics[name] = [MaskedTopKRecall(1), MaskedTopKRecall(3),
                                 MaskedTopKRecall(1, exclude_oov=True)]
            for metric in metrics[name]:
                metric.update_state(batch_targets, logits)
    return {name: RecallScores(*(float(m.result()) for m in named),
                               int(named[0].words.numpy()))
            for name, named in metrics.items()}


def keras_logits_fn(model: tf.keras.Model) -> LogitsFn:
    """The model's logits as numpy, traced once for any batch shape."""
    forward = tf.function(lambda ids: model(ids, training=False),
                          input_signature=[tf.TensorSpec([None, None], tf.int32)])
    return lambda inputs: forward(inputs).numpy()


def backdoor_success(logits_fn: LogitsFn, eval_texts: Mapping[str, Sequence[str]],
                     vocab: Vocabulary, *, trigger_words: Sequence[str], target: str,
                     seed: int, max_words: int) -> tuple[float, float, int]:
    """How often `logits_fn` suggests the backdoor's `target` after its trigger, appended to
    the beginnings of the held-out users' messages (`eval_texts`, by user;
    `federated.simulation.attacks.backdoor_contexts`): (top-1 rate, top-3 rate, contexts). A target
    outside `vocab` is never suggested."""
    contexts = backdoor_contexts((text for texts in eval_texts.values() for text in texts),
                                 trigger_words, seed=seed, max_words=max_words)
    inputs, targets = backdoor_examples(contexts, target, vocab, max_words=max_words)
    scores = score(logits_fn, inputs, targets)
    return scores.top1_recall, scores.top3_recall, len(contexts)


def oov_rate(targets: np.ndarray) -> float:
    """Share of scored target words that are out of the vocabulary."""
    mask = scored_positions(targets, exclude_oov=False)
    oov = tf.logical_and(mask, tf.equal(targets, OOV_ID))
    return float(tf.reduce_sum(tf.cast(oov, tf.float32)) /
                 tf.maximum(tf.reduce_sum(tf.cast(mask, tf.float32)), 1.0))


def unigram_logits_fn(train_targets: Iterable[np.ndarray], vocab_size: int) -> LogitsFn:
    """The most-frequent-words model: the same log-frequency scores at every position."""
    counts = np.zeros(vocab_size, dtype=np.float64)
    for targets in train_targets:
        counts += np.bincount(targets.ravel(), minlength=vocab_size)
    counts[:NUM_SPECIAL_TOKENS] = 0  # Never suggested anyway; keep the scores honest.
    log_frequency = np.log(counts + 1e-3).astype(np.float32)

    def logits_fn(inputs: np.ndarray) -> np.ndarray:
        return np.broadcast_to(log_frequency, (*inputs.shape, vocab_size))

    return logits_fn


def unigram_scores(train_targets: Iterable[np.ndarray], vocab_size: int,
                   targets: np.ndarray) -> RecallScores:
    """`score` of `unigram_logits_fn` on `targets`, without scoring every position: the
    unigram model suggests the same words everywhere, so each distinct target word is scored
    once and counted as often as it is typed (the full `score` is O(positions x vocabulary),
    minutes on 100,000 users' held-out messages)."""
    typed = np.asarray(targets)[scored_positions(targets, exclude_oov=False).numpy()]
    words, counts = np.unique(typed, return_counts=True)
    # One row of the same scores, broadcast against every distinct word.
    logits = unigram_logits_fn(train_targets, vocab_size)(np.zeros((1, 1), np.int32))[0]
    top1, top3 = (counts[top_k_hits(words, logits, k=k).numpy()].sum() for k in (1, 3))
    known = words != OOV_ID
    total, total_known = max(counts.sum(), 1), max(counts[known].sum(), 1)
    return RecallScores(float(top1 / total), float(top3 / total),
                        float(top1 / total_known), int(counts.sum()))
