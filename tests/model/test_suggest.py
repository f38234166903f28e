"""Ranking suggestions from next-word scores (a fixed scorer isolates the pure logic)."""

from __future__ import annotations

import numpy as np
import pytest

from model.suggest import ContextCache, PrefixIndex, Suggester, top_words
from model.vocab import BOS_ID, NUM_SPECIAL_TOKENS, Vocabulary

WORDS = ["make", "many", "map", "to", "how", "bread", "the"]
VOCAB = Vocabulary(WORDS)


class RecordingScorer:
    """Returns fixed logits and remembers the contexts it was asked about."""

    def __init__(self, scores: dict[str, float]):
        self.logits = np.zeros(VOCAB.size, dtype=np.float32)
        self.logits[:NUM_SPECIAL_TOKENS] = 100.0  # Special tokens must never be suggested.
        for word, score in scores.items():
            self.logits[VOCAB.id_of(word)] = score
        self.contexts: list[list[int]] = []

    def __call__(self, context_ids: np.ndarray) -> np.ndarray:
        self.contexts.append(list(context_ids))
        return self.logits


def make_suggester(scores):
    scorer = RecordingScorer(scores)
    return Suggester(VOCAB, scorer, max_words=5, version="v1"), scorer


def test_next_word_after_a_space_ranks_all_words_best_first():
    suggester, scorer = make_suggester({"bread": 3.0, "the": 2.0, "make": 1.0})

    assert suggester.suggest("how to ") == ["bread", "the", "make"]
    assert scorer.contexts == [[BOS_ID, VOCAB.id_of("how"), VOCAB.id_of("to")]]


def test_mid_word_completes_the_prefix_from_the_context_before_it():
    suggester, scorer = make_suggester({"bread": 9.0, "map": 3.0, "many": 2.0, "make": 1.0})

    assert suggester.suggest("how to ma") == ["map", "many", "make"]
    assert scorer.contexts == [[BOS_ID, VOCAB.id_of("how"), VOCAB.id_of("to")]]


def test_unknown_prefix_gives_no_suggestion_and_no_model_call():
    suggester, scorer = make_suggester({})

    assert suggester.suggest("how to zz") == []
    assert scorer.contexts == []


def test_fewer_candidates_than_k():
    suggester, _ = make_suggester({"bread": 1.0})

    assert suggester.suggest("br", k=3) == ["bread"]


def test_k_must_be_positive():
    suggester, _ = make_suggester({})

    with pytest.raises(ValueError, match="k must be >= 1"):
        suggester.suggest("how", k=0)


def test_prefix_index_finds_exactly_the_words_with_the_prefix():
    index = PrefixIndex(VOCAB)

    assert sorted(VOCAB.word_of(i) for i in index.ids_with_prefix("ma")) == [
        "make", "many", "map"]
    assert list(index.ids_with_prefix("x")) == []


def test_top_words_breaks_ties_by_lower_id():
    logits = np.array([0.0, 5.0, 5.0, 1.0, 5.0])

    assert top_words(logits, np.array([4, 2, 3, 1]), 2) == [1, 2]


def test_the_context_cache_scores_each_context_once_and_answers_the_same():
    scorer = RecordingScorer({"make": 3.0, "many": 2.0, "map": 1.0, "bread": 4.0})
    plain = Suggester(VOCAB, scorer, max_words=5, version="v1")
    cached = Suggester(VOCAB, ContextCache(scorer, size=2), max_words=5, version="v1")
    texts = ["how to m", "how to ma", "how to man", "how to ", "how ", "how to ma"]

    expected = [plain.suggest(text) for text in texts]
    scorer.contexts.clear()

    assert [cached.suggest(text) for text in texts] == expected
    how_to, how = [BOS_ID, VOCAB.id_of("how"), VOCAB.id_of("to")], [BOS_ID, VOCAB.id_of("how")]
    assert scorer.contexts == [how_to, how]  # "how to ma" again: still one of the last 2.


def test_the_context_cache_forgets_the_least_recent_context_and_shares_read_only_logits():
    scorer = RecordingScorer({})
    cache = ContextCache(scorer, size=1)

    first = cache(np.array([1, 4], dtype=np.int32))
    cache(np.array([1, 5], dtype=np.int64))
    cache(np.array([1, 4]))

    assert scorer.contexts == [[1, 4], [1, 5], [1, 4]]
    assert not first.flags.writeable
    with pytest.raises(ValueError, match="size must be >= 1"):
        ContextCache(scorer, size=0)


def test_scored_suggestions_carry_their_softmax_probability_over_the_whole_vocabulary():
    suggester, scorer = make_suggester({"bread": 3.0, "the": 2.0, "make": 1.0})
    scorer.logits[:NUM_SPECIAL_TOKENS] = 0.5  # Counted in the softmax, never suggested.
    exponentials = np.exp(scorer.logits.astype(np.float64))
    probabilities = exponentials / exponentials.sum()

    scored = suggester.suggest_scored("how to ", k=2)

    assert [word for word, _ in scored] == suggester.suggest("how to ", k=2) == ["bread", "the"]
    assert [p for _, p in scored] == pytest.approx(
        [probabilities[VOCAB.id_of("bread")], probabilities[VOCAB.id_of("the")]])
    assert suggester.suggest_scored("how to zz") == []
