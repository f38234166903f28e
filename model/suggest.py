"""From what is typed so far to the words in the suggestion strip (pure Python + numpy).

The network is behind a `NextWordScorer` (ids -> logits), so the ranking rules are tested
without TensorFlow and serving can use whichever runtime is fastest.
"""

from __future__ import annotations

import bisect
import functools
from typing import Protocol

import numpy as np

from model.sequences import encode_context
from model.tokenizer import split_context
from model.vocab import NUM_SPECIAL_TOKENS, Vocabulary


class NextWordScorer(Protocol):
    def __call__(self, context_ids: np.ndarray) -> np.ndarray:
        """Returns one logit per vocabulary id for the word after `context_ids`."""


class ContextCache:
    """A `NextWordScorer` that keeps the logits of the last `size` contexts it scored.

    While a word is typed, each keystroke asks about the same context (the words before it)
    with a longer prefix: with this cache the network runs once per word, not once per
    keystroke, and users typing the same words share results. Exact, since the logits depend
    on the context ids only. Thread-safe (`functools.lru_cache`; two threads missing the same
    context at once may both score it). The logits returned are shared and read-only.
    """

    def __init__(self, scorer: NextWordScorer, size: int):
        if size < 1:
            raise ValueError(f"size must be >= 1, got {size}")
        self._scorer = scorer
        self._score_key = functools.lru_cache(maxsize=size)(self._score_context)

    def _score_context(self, key: bytes) -> np.ndarray:
        logits = np.array(self._scorer(np.frombuffer(key, dtype=np.int32)))
        logits.setflags(write=False)
        return logits

    def __call__(self, context_ids: np.ndarray) -> np.ndarray:
        return self._score_key(np.ascontiguousarray(context_ids, dtype=np.int32).tobytes())


class PrefixIndex:
    """Finds the vocabulary ids of the words that start with a prefix, in O(log V)."""

    def __init__(self, vocab: Vocabulary):
        pairs = sorted((word, index) for index, word in
                       enumerate(vocab.words, start=NUM_SPECIAL_TOKENS))
        self._words = [word for word, _ in pairs]
        self._ids = np.array([index for _, index in pairs], dtype=np.int64)

    def ids_with_prefix(self, prefix: str) -> np.ndarray:
        start = bisect.bisect_left(self._words, prefix)
        end = bisect.bisect_left(self._words, prefix + "\U0010ffff", lo=start)
        return self._ids[start:end]


def top_words(logits: np.ndarray, candidate_ids: np.ndarray, k: int) -> list[int]:
    """Returns the `k` best-scoring candidate ids, best first (ties: lower id first)."""
    if len(candidate_ids) == 0:
        return []
    scores = logits[candidate_ids]
    if len(candidate_ids) > k:
        # Everything scoring at least the k-th best score, so ties at the cut are kept.
        kth_best = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = np.flatnonzero(scores >= kth_best)
    else:
        keep = np.arange(len(candidate_ids))
    order = sorted(keep, key=lambda i: (-scores[i], candidate_ids[i]))[:k]
    return [int(candidate_ids[i]) for i in order]


class Suggester:
    """Suggests the next word, or completions of the word being typed."""

    def __init__(self, vocab: Vocabulary, scorer: NextWordScorer, *, max_words: int,
                 version: str):
        self.vocab = vocab
        self.version = version
        self._scorer = scorer
        self._max_words = max_words
        self._prefixes = PrefixIndex(vocab)
        self._all_words = np.arange(NUM_SPECIAL_TOKENS, vocab.size)

    def suggest(self, text: str, k: int = 3) -> list[str]:
        """Returns up to `k` words, best first.

        After a separator (or on empty text) these are next-word predictions; mid-word they are
        completions of the typed prefix (possibly the prefix itself, if it is a word), and
        none when no vocabulary word starts with it.
        """
        return [self.vocab.word_of(i) for i in self._top_ids(text, k)[1]]

    def suggest_scored(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """`suggest`'s words with their next-word probabilities (a softmax over the whole
        vocabulary), to rank them beside another source's (`model.word_cache`)."""
        logits, ids = self._top_ids(text, k)
        if not ids:
            return []
        peak = float(np.max(logits))
        log_total = peak + float(np.log(np.sum(np.exp(logits - peak))))
        return [(self.vocab.word_of(i), float(np.exp(logits[i] - log_total))) for i in ids]

    def _top_ids(self, text: str, k: int) -> tuple[np.ndarray, list[int]]:
        """The next word's logits and the `k` best candidate ids (no logits: no candidate)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        context, prefix = split_context(text)
        candidates = self._prefixes.ids_with_prefix(prefix) if prefix else self._all_words
        if len(candidates) == 0:
            return np.empty(0, dtype=np.float32), []
        ids = np.array(encode_context(context, self.vocab, max_words=self._max_words),
                       dtype=np.int32)
        logits = self._scorer(ids)
        return logits, top_words(logits, candidates, k)
