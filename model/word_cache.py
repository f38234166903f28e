"""The personal word cache: the user's own out-of-vocabulary words, counted on the device.

The global vocabulary cannot hold every user's names, places and teams; Gboard keeps a
personal language model on the phone for them. This one counts, from the user's messages, each
OOV word (every word with `all_words`: a personal bigram model) and the word typed before it,
and scores a candidate `w` after the context word `c` as
a probability of the next word, from the user's own typing (a bigram smoothed towards the
unigram, Dirichlet prior `prior_weight`):

    P(w | c) = (count(c, w) + prior_weight * count(w) / words_typed) / (count(c) + prior_weight)

where `count(c)` is how often `c` was typed (its messages' ends included, as the model's softmax
includes the end of the message).

A bigram counted from a few hundred messages is overconfident where the user's pairs of words
seldom repeat (real text: a context seen once scores its one follower near 1/2). So the cache
calibrates itself on the device, prequentially (Dawid 1984): before each typed word is counted,
the cache's first suggestion for it is scored, and the estimate is scaled by how often those
suggestions came true against how likely the cache said they were:

    P_calibrated(w | c) = min(1, r * P(w | c)),   r = (right + 1) / (claimed + 1)

with `right` the first suggestions that were the typed word and `claimed` the sum of their
uncalibrated estimates (r = 1 before any evidence). The ranking within the cache is
unchanged; only how its words compete with the model's changes. Being a next-word probability,
it is compared directly with the model's softmax by `mix_suggestions`. Nothing here leaves the
device; the cache is pure Python so the keyboard can keep it beside the device's log.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Optional

import numpy as np

from model.tokenizer import tokenize
from model.vocab import SPECIAL_TOKENS, Vocabulary

CACHE_FORMAT = 2  # 2: with the calibration's counts.
START = SPECIAL_TOKENS.bos  # The context of a message's first word.


def vocabulary_fingerprint(vocab: Vocabulary) -> str:
    """A short hash of the vocabulary's words: a cache is only valid with the one it was
    counted against (a word may have entered the vocabulary since)."""
    return hashlib.sha256("\n".join(vocab.words).encode("utf-8")).hexdigest()[:16]


class WordCache:
    """Counts of the user's out-of-vocabulary words and of the contexts before them."""

    def __init__(self, vocab: Vocabulary, *, prior_weight: float = 1.0, min_count: int = 1,
                 all_words: bool = False):
        """An empty cache for words outside `vocab`.

        Args:
            vocab: the global vocabulary; only words outside it are cached and suggested,
                unless `all_words`.
            prior_weight: how far the context estimate leans on the word's overall frequency
                (> 0).
            min_count: typed fewer times than this, a word is never suggested (>= 1).
            all_words: cache the user's vocabulary words too (their own word choices).
        """
        if not prior_weight > 0:
            raise ValueError(f"prior_weight must be > 0, got {prior_weight}")
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        self._vocab = vocab
        self.prior_weight = prior_weight
        self.min_count = min_count
        self.all_words = all_words
        self._words_typed = 0
        self._word_counts: Counter[str] = Counter()  # OOV words only.
        self._context_counts: Counter[str] = Counter()  # Every context, message ends too.
        self._pair_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)  # OOV only.
        self._most_typed: Optional[str] = None  # The cached word typed most (ties: a-z).
        self._claimed = 0.0  # The calibration's counts: the first suggestions' probabilities,
        self._right = 0  # and how many of them were the word then typed.

    @classmethod
    def from_messages(cls, messages: Iterable[str], vocab: Vocabulary, **options: Any
                      ) -> WordCache:
        """A cache counted from `messages` (`options`: those of the constructor)."""
        cache = cls(vocab, **options)
        for text in messages:
            cache.add_message(text)
        return cache

    def add_message(self, text: str) -> None:
        """Counts one typed message, tokenized as everywhere else (`model.tokenizer`)."""
        context = START
        for word in tokenize(text):
            best = self._best(context)
            if best is not None:
                self._claimed += best[1]
                self._right += best[0] == word
            self._words_typed += 1
            self._context_counts[context] += 1
            if self.all_words or word not in self._vocab:
                self._word_counts[word] += 1
                self._pair_counts[context][word] += 1
                self._note_typed(word)
            context = word
        if context != START:
            self._context_counts[context] += 1  # The message ended after it.

    @property
    def words(self) -> dict[str, int]:
        """The cached words and how often the user typed them."""
        return dict(self._word_counts)

    @property
    def calibration(self) -> float:
        """r: how far the device's own history says to trust the counted estimate."""
        return (self._right + 1) / (self._claimed + 1)

    def _note_typed(self, word: str) -> None:
        top = self._most_typed
        if top is None or (-self._word_counts[word], word) < (-self._word_counts[top], top):
            self._most_typed = word

    def _estimate(self, context_word: str, word: str) -> float:
        """The counted (uncalibrated) estimate of P(word | context_word)."""
        count = self._word_counts.get(word, 0)
        if count < self.min_count:
            return 0.0
        prior = self.prior_weight * count / self._words_typed
        return ((self._pair_counts.get(context_word, Counter())[word] + prior)
                / (self._context_counts.get(context_word, 0) + self.prior_weight))

    def _best(self, context_word: str) -> Optional[tuple[str, float]]:
        """The cache's first word after `context_word` and its estimate, None if it has none.
        Only the words typed after that context and the word typed most can come first: any
        other word's estimate is its prior alone, at most the most typed word's."""
        candidates = set(self._pair_counts.get(context_word, ()))
        if self._most_typed is not None:
            candidates.add(self._most_typed)
        scored = [(word, self._estimate(context_word, word)) for word in candidates]
        scored = [pair for pair in scored if pair[1] > 0]
        return min(scored, key=lambda pair: (-pair[1], pair[0]), default=None)

    def _calibrated(self, estimate: float) -> float:
        return min(1.0, self.calibration * estimate)

    def probability(self, context_word: str, word: str) -> float:
        """The cache's calibrated probability that `word` is typed after `context_word` (0 if
        unknown)."""
        return self._calibrated(self._estimate(context_word, word))

    def suggest(self, context_words: Sequence[str], prefix: str, k: int
                ) -> list[tuple[str, float]]:
        """Up to `k` cached words starting with `prefix`, with their calibrated probabilities
        after the last context word (the message start when there is none), best first (ties:
        a-z)."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        context = context_words[-1] if context_words else START
        scored = [(word, self._estimate(context, word)) for word in self._word_counts
                  if word.startswith(prefix)]
        scored = [(word, p) for word, p in scored if p > 0]
        ranked = sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:k]
        return [(word, self._calibrated(p)) for word, p in ranked]

    def first_suggestion(self, context_words: Sequence[str]) -> Optional[tuple[str, float]]:
        """`suggest(context_words, "", k=1)`'s one word and probability, None if it has none,
        without scoring every cached word."""
        best = self._best(context_words[-1] if context_words else START)
        return None if best is None else (best[0], self._calibrated(best[1]))

    def to_json(self) -> dict[str, Any]:
        """The cache as JSON-ready data, with the fingerprint of its vocabulary."""
        return {"format": CACHE_FORMAT, "vocabulary": vocabulary_fingerprint(self._vocab),
                "prior_weight": self.prior_weight, "min_count": self.min_count,
                "all_words": self.all_words,
                "words_typed": self._words_typed, "words": dict(self._word_counts),
                "contexts": dict(self._context_counts),
                "pairs": {c: dict(words) for c, words in self._pair_counts.items()},
                "claimed": self._claimed, "right": self._right}

    @classmethod
    def from_json(cls, data: dict[str, Any], vocab: Vocabulary) -> WordCache:
        """Reads `to_json`'s output back.

        Raises:
            ValueError: another format, or a cache counted against another vocabulary (count
                it again from the messages: `from_messages`).
        """
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            raise ValueError(f"not a word cache of format {CACHE_FORMAT}")
        if data.get("vocabulary") != vocabulary_fingerprint(vocab):
            raise ValueError("the word cache was counted against another vocabulary: "
                             "rebuild it from the device's messages")
        try:
            cache = cls(vocab, prior_weight=float(data["prior_weight"]),
                        min_count=int(data["min_count"]),
                        all_words=bool(data.get("all_words", False)))
            cache._words_typed = int(data["words_typed"])
            cache._word_counts.update({str(w): int(c) for w, c in data["words"].items()})
            cache._context_counts.update({str(w): int(c) for w, c in data["contexts"].items()})
            for context, words in data["pairs"].items():
                cache._pair_counts[str(context)].update(
                    {str(w): int(c) for w, c in words.items()})
            for word in cache._word_counts:
                cache._note_typed(word)
            cache._claimed, cache._right = float(data["claimed"]), int(data["right"])
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise ValueError(f"broken word cache: {error!r}") from error
        return cache


def mix_suggestions(model_suggestions: Sequence[tuple[str, float]],
                    cache_suggestions: Sequence[tuple[str, float]], k: int
                    ) -> list[tuple[str, float]]:
    """The strip's `k` words: the model's (word, probability) pairs and the cache's, ranked
    together by probability (a word in both keeps its higher one). Both are next-word
    probabilities, so a cached word takes a slot only when the user's own history makes it
    likelier than the model's word there. Ties: the model's word first."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    best: dict[str, tuple[float, int]] = {}
    for source, suggestions in enumerate((model_suggestions, cache_suggestions)):
        for word, probability in suggestions:
            if word not in best or probability > best[word][0]:
                best[word] = (probability, source)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    return [(word, probability) for word, (probability, _) in ranked[:k]]


def cache_predictions(cache: WordCache, texts: Sequence[str], *, max_words: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The cache's first suggestion at every next-word position of `texts`, row for row with
    `model.sequences.to_examples(texts, ...)`'s targets (messages without words dropped).

    Returns:
        `(probability, hit)`, float32 and bool arrays `[messages, max_words + 1]`: the cache's
        best word's probability after the words typed so far (0 where it has none), and
        whether that word is the word actually typed next.
    """
    rows = [words for words in (tokenize(text) for text in texts) if words]
    probability = np.zeros((len(rows), max_words + 1), dtype=np.float32)
    hit = np.zeros((len(rows), max_words + 1), dtype=bool)
    for row, words in enumerate(rows):
        for position, word in enumerate(words[:max_words]):
            best = cache.first_suggestion(words[:position])
            if best is not None:
                probability[row, position] = best[1]
                hit[row, position] = best[0] == word
    return probability, hit
