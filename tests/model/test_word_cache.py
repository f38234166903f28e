"""The personal word cache (pure Python)."""

from __future__ import annotations

import json

import pytest

from model.sequences import to_examples
from model.vocab import OOV_ID, Vocabulary
from model.word_cache import WordCache, cache_predictions, mix_suggestions

VOCAB = Vocabulary(["go", "see", "you", "at", "the", "game", "with"])
MESSAGES = ["go Zelkovas", "see you at the game", "go zelkovas!", "with Marguerite at the game",
            "go zelkovas"]


def test_suggests_a_typed_oov_name_after_its_context():
    cache = WordCache.from_messages(MESSAGES, VOCAB)

    suggestions = cache.suggest(["go"], "", k=3)

    assert suggestions[0][0] == "zelkovas"
    assert suggestions[0][1] > 0.5  # "go" was followed by "zelkovas" every time.
    assert suggestions[0] == cache.first_suggestion(["go"])


def test_scores_are_probabilities_that_follow_the_context():
    cache = WordCache.from_messages(MESSAGES, VOCAB)

    after_go = cache.probability("go", "zelkovas")
    after_with = cache.probability("with", "zelkovas")

    assert 0 < after_with < after_go <= 1
    assert cache.probability("go", "never-typed") == 0.0


def test_prefix_filters_and_in_vocabulary_words_are_never_cached():
    cache = WordCache.from_messages(MESSAGES, VOCAB)

    assert [word for word, _ in cache.suggest(["with"], "mar", k=3)] == ["marguerite"]
    assert cache.suggest(["with"], "x", k=3) == []
    assert set(cache.words) == {"zelkovas", "marguerite"}


def test_min_count_keeps_one_off_words_out():
    cache = WordCache.from_messages(MESSAGES, VOCAB, min_count=2)

    assert [word for word, _ in cache.suggest([], "", k=5)] == ["zelkovas"]


def test_json_round_trip_keeps_the_scores():
    cache = WordCache.from_messages(MESSAGES, VOCAB)

    copy = WordCache.from_json(json.loads(json.dumps(cache.to_json())), VOCAB)
    copy.add_message("go zelkovas")
    cache.add_message("go zelkovas")

    assert copy.suggest(["go"], "", k=3) == cache.suggest(["go"], "", k=3)
    assert copy.calibration == cache.calibration != 1.0
    assert copy.first_suggestion(["at"]) == cache.first_suggestion(["at"])


def test_a_cache_of_another_vocabulary_is_refused_with_a_clear_message():
    data = WordCache.from_messages(MESSAGES, VOCAB).to_json()

    with pytest.raises(ValueError, match="another vocabulary: rebuild"):
        WordCache.from_json(data, Vocabulary(["go", "zelkovas"]))
    with pytest.raises(ValueError, match="broken word cache"):
        WordCache.from_json({**data, "words": None}, VOCAB)
    with pytest.raises(ValueError, match="not a word cache"):
        WordCache.from_json({"format": 99}, VOCAB)


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="prior_weight must be > 0"):
        WordCache(VOCAB, prior_weight=0)
    with pytest.raises(ValueError, match="min_count must be >= 1"):
        WordCache(VOCAB, min_count=0)
    with pytest.raises(ValueError, match="k must be >= 1"):
        WordCache(VOCAB).suggest([], "", k=0)


def test_mix_ranks_cache_and_model_words_by_probability():
    model = [("the", 0.4), ("game", 0.1), ("you", 0.05)]

    mixed = mix_suggestions(model, [("zelkovas", 0.3), ("marguerite", 0.01)], k=3)

    assert mixed == [("the", 0.4), ("zelkovas", 0.3), ("game", 0.1)]
    assert mix_suggestions(model, [("the", 0.9)], k=1) == [("the", 0.9)]
    assert mix_suggestions([("a", 0.2)], [("b", 0.2)], k=1) == [("a", 0.2)]


def test_cache_predictions_line_up_with_the_model_examples():
    cache = WordCache.from_messages(MESSAGES, VOCAB)
    texts = ["go zelkovas go", "!!!", "the game"]

    probability, hit = cache_predictions(cache, texts, max_words=4)
    inputs, targets = to_examples(texts, VOCAB, max_words=4)

    assert probability.shape == hit.shape == targets.shape == (2, 5)
    # Row 0 predicts "go" (from the start), "zelkovas" (after "go": a hit), "go".
    assert hit[0].tolist() == [False, True, False, False, False]
    assert probability[0, 1] == pytest.approx(cache.probability("go", "zelkovas"))
    assert targets[0, 1] == OOV_ID
    assert not hit[1].any()


def test_all_words_caches_the_users_vocabulary_words_too():
    cache = WordCache.from_messages(MESSAGES, VOCAB, all_words=True)

    assert cache.suggest(["at"], "", k=1)[0][0] == "the"
    assert WordCache.from_json(cache.to_json(), VOCAB).suggest(["at"], "", k=1) == \
        cache.suggest(["at"], "", k=1)


def _cache_of_pairs(pairs_repeat: bool) -> WordCache:
    """200 messages "<context> <name>" over 50 contexts: each context followed by the same name
    every time, or by a new name every time (as on real text, where few pairs of words repeat)."""
    return WordCache.from_messages(
        [f"c{i % 50} {'n' + str(i % 50 if pairs_repeat else i)}" for i in range(200)], VOCAB)


def test_the_cache_calibrates_itself_on_the_words_the_user_typed_next():
    repeating, never_repeating = _cache_of_pairs(True), _cache_of_pairs(False)

    # Its first suggestions came true at least as often as it said: the estimate stands.
    assert repeating.calibration > 1.0
    assert repeating.suggest(["c7"], "", k=1)[0] == ("n7", pytest.approx(1.0))
    # They never came true, although the counts say about 1 in 5 after a context seen 4 times:
    # the cache's words are scaled down until they seldom beat the model's.
    assert never_repeating.calibration < 0.1
    assert never_repeating.suggest(["c7"], "", k=1)[0][1] < 0.25 * 0.1


def test_the_first_suggestion_is_the_full_rankings_first():
    for cache in (WordCache.from_messages(MESSAGES, VOCAB), _cache_of_pairs(False),
                  WordCache.from_messages(MESSAGES, VOCAB, all_words=True),
                  WordCache.from_messages(MESSAGES, VOCAB, min_count=2), WordCache(VOCAB),
                  WordCache.from_messages(["zz", "aa"], VOCAB)):  # Ties: a-z, not first typed.
        for context in ([], ["go"], ["the"], ["game"], ["zelkovas"], ["unseen"], ["at"]):
            ranked = cache.suggest(context, "", k=1)
            assert cache.first_suggestion(context) == (ranked[0] if ranked else None)
