"""Recall through `score()` and the report's breakdowns, on hand-checked tiny cases (TF: slow)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from federated.evaluation.prefix_completion import prefix_completion_recall  # noqa: E402
from federated.evaluation.recall_breakdown import group_recall, tercile_users  # noqa: E402
from federated.evaluation.scoring import (  # noqa: E402
    oov_rate,
    score,
    unigram_logits_fn,
    unigram_scores,
)
from model.vocab import BOS_ID, EOS_ID, OOV_ID, PAD_ID, Vocabulary  # noqa: E402

pytestmark = pytest.mark.slow

VOCAB = Vocabulary(["to", "top", "tot", "make", "bread"])
TO, TOP, TOT, MAKE, BREAD = range(4, 4 + 5)


def fixed_logits_fn(ranking: list[int]):
    """A scorer that ranks the ids of `ranking` first, in that order, at every position."""
    scores = np.zeros(VOCAB.size, dtype=np.float32)
    scores[ranking] = np.arange(len(ranking), 0, -1)

    def logits_fn(inputs: np.ndarray) -> np.ndarray:
        return np.broadcast_to(scores, (*inputs.shape, VOCAB.size))

    return logits_fn


# Two messages: "to make bread" and "make <oov> to". Scored targets (after the first word):
# make, bread | <oov>, to.
INPUTS = np.array([[BOS_ID, TO, MAKE, BREAD], [BOS_ID, MAKE, OOV_ID, TO]], dtype=np.int32)
TARGETS = np.array([[TO, MAKE, BREAD, EOS_ID], [MAKE, OOV_ID, TO, EOS_ID]], dtype=np.int32)


@pytest.mark.parametrize("batch_size", [1, 2, 128])
def test_score_counts_oov_targets_as_misses_in_any_batching(batch_size):
    # Top-1 is always "make"; top-3 make, bread, top. OOV scores highest but is never shown.
    logits_fn = fixed_logits_fn([OOV_ID, MAKE, BREAD, TOP])

    scores = score(logits_fn, INPUTS, TARGETS, batch_size=batch_size)

    assert scores.scored_words == 4
    assert scores.top1_recall == pytest.approx(1 / 4)  # make
    assert scores.top3_recall == pytest.approx(2 / 4)  # make, bread
    assert scores.top1_recall_without_oov == pytest.approx(1 / 3)


def test_the_unigram_scores_are_score_of_the_unigram_model_on_every_position():
    rng = np.random.default_rng(3)
    train = [rng.integers(0, VOCAB.size, size=(5, 6)) for _ in range(3)]
    targets = rng.integers(0, VOCAB.size, size=(40, 6)).astype(np.int32)  # OOV, EOS, PAD too.
    expected = score(unigram_logits_fn(train, VOCAB.size), np.zeros_like(targets), targets)

    got = unigram_scores(train, VOCAB.size, targets)

    assert got.scored_words == expected.scored_words > 0
    for name in ("top1_recall", "top3_recall", "top1_recall_without_oov"):
        assert getattr(got, name) == pytest.approx(getattr(expected, name), abs=1e-6)
    assert 0 < got.top1_recall < got.top3_recall < 1


def test_oov_rate_is_the_share_of_scored_targets():
    assert oov_rate(TARGETS) == pytest.approx(1 / 4)
    assert oov_rate(np.array([[TO, PAD_ID]])) == 0.0


def test_prefix_completion_ranks_only_words_with_the_prefix():
    # Scored in-vocabulary targets: make, bread (first message), to (second). After "t" the
    # candidates are to, top, tot, ranked tot, top, to by this scorer: "to" is third, out
    # of a two-word strip. "make" after "m" and "bread" after "b" are the only candidates.
    logits_fn = fixed_logits_fn([BREAD, TOT, TOP, TO])

    recall = prefix_completion_recall(logits_fn, INPUTS, TARGETS, VOCAB, prefix_lengths=(1, 2),
                                      k=2)

    # One letter: make (hit), bread (hit), to (third of to/top/tot with k=2: miss).
    assert recall["1"] == {"recall": pytest.approx(2 / 3), "words": 3}
    # Two letters: "to" has no letters left to type; make, bread are unique completions.
    assert recall["2"] == {"recall": 1.0, "words": 2}


def test_group_recall_pools_the_examples_of_each_group():
    examples = {"u1": (INPUTS[:1], TARGETS[:1]), "u2": (INPUTS[1:], TARGETS[1:])}
    logits_fn = fixed_logits_fn([MAKE, TO])

    groups = group_recall(logits_fn, examples, {"first": ["u1"], "both": ["u1", "u2"],
                                                "nobody": ["u9"]})

    assert groups["first"]["top1_recall"] == pytest.approx(1 / 2)
    assert groups["both"]["top1_recall"] == pytest.approx(1 / 4)
    assert groups["both"]["users"] == 2 and groups["both"]["messages"] == 2
    assert "nobody" not in groups


def test_terciles_split_users_by_message_count_lightest_first():
    counts = {"a": 9, "b": 1, "c": 5, "d": 2, "e": 7, "f": 1}

    assert tercile_users(counts) == {"light": ["b", "f"], "medium": ["d", "c"],
                                     "heavy": ["e", "a"]}
