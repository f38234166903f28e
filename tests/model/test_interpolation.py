"""The network interpolated with the n-gram, on hand-checked tiny distributions (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from model.interpolation import InterpolatedScorer, interpolate
from model.ngram import KneserNeyModel, sequences_of
from model.sequences import to_examples
from model.vocab import BOS_ID, NUM_SPECIAL_TOKENS, Vocabulary

V = NUM_SPECIAL_TOKENS + 3
A, B, C = range(NUM_SPECIAL_TOKENS, V)


def distribution(probabilities: dict[int, float]) -> np.ndarray:
    row = np.full(V, 1e-6)
    for word, probability in probabilities.items():
        row[word] = probability
    return row / row.sum()


# The network is sure of A (0.6) and puts B second (0.4); the n-gram prefers B a little
# (0.5) over C (0.45) and barely knows A (0.05).
NETWORK = distribution({A: 0.6, B: 0.4})
NGRAM = distribution({B: 0.5, C: 0.45, A: 0.05})


def network_fn(inputs: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.log(NETWORK) + 7.0, (*inputs.shape, V))  # Unnormalized logits.


def ngram_fn(inputs: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.log(NGRAM), (*inputs.shape, V))


def test_the_mixture_is_the_weighted_mean_of_the_two_distributions():
    inputs = np.zeros((2, 3), dtype=np.int32)

    mixed = np.exp(interpolate(network_fn(inputs), ngram_fn(inputs), 0.25))

    np.testing.assert_allclose(mixed, np.broadcast_to(0.25 * NETWORK + 0.75 * NGRAM, mixed.shape),
                               rtol=1e-5)
    np.testing.assert_allclose(mixed.sum(axis=-1), 1.0, rtol=1e-5)


def test_the_ends_of_the_weights_are_each_model_alone_and_impossible_ids_stay_impossible():
    network_logits, ngram_log_probabilities = network_fn(np.zeros((1, 1))), ngram_fn(
        np.zeros((1, 1))).copy()
    ngram_log_probabilities[..., BOS_ID] = -np.inf

    np.testing.assert_allclose(np.exp(interpolate(network_logits, ngram_log_probabilities, 1.0)),
                               NETWORK[None, None], rtol=1e-5)
    alone = interpolate(network_logits, ngram_log_probabilities, 0.0)
    assert alone[0, 0, BOS_ID] == -np.inf
    np.testing.assert_allclose(alone[..., A:], ngram_log_probabilities[..., A:], rtol=1e-6)


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_weight_outside_0_1_is_refused(weight):
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        interpolate(network_fn(np.zeros((1, 1))), ngram_fn(np.zeros((1, 1))), weight)


def test_the_scorer_lifts_what_the_ngram_has_seen_after_the_context():
    vocab = Vocabulary(["see", "you", "soon", "later"])
    ngram = KneserNeyModel.count(sequences_of(*to_examples(
        ["see you soon"] * 5 + ["see you later"], vocab, max_words=5)), vocab_size=vocab.size)
    flat = np.zeros(vocab.size, dtype=np.float32)  # A network with no opinion.
    context = np.array([BOS_ID, vocab.id_of("see"), vocab.id_of("you")], dtype=np.int32)

    logits = InterpolatedScorer(lambda ids: flat, ngram, 0.5)(context)

    ranked = np.argsort(-logits)
    assert [vocab.word_of(int(i)) for i in ranked[:2]] == ["soon", "later"]
    np.testing.assert_allclose(np.exp(logits).sum(), 1.0, rtol=1e-5)
