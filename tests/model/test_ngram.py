"""The Kneser-Ney n-gram baseline: a proper distribution in every context (pure numpy)."""

from __future__ import annotations

import numpy as np
import pytest

from model.ngram import KneserNeyModel, sequences_of
from model.sequences import to_examples
from model.vocab import BOS_ID, EOS_ID, OOV_ID, PAD_ID, Vocabulary

VOCAB = Vocabulary(["the", "cat", "sat", "on", "mat", "dog"])
CORPUS = ["the cat sat on the mat", "the dog sat on the cat", "the cat sat", "a dog ran"]
THE, CAT, SAT, ON, MAT, DOG = (VOCAB.id_of(w) for w in ("the", "cat", "sat", "on", "mat", "dog"))


def corpus_sequences(texts: list[str], vocab: Vocabulary = VOCAB) -> np.ndarray:
    return sequences_of(*to_examples(texts, vocab, max_words=6))


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_probabilities_sum_to_one_in_seen_and_unseen_contexts(order):
    model = KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size, order=order)
    contexts = np.array([
        [BOS_ID, THE, CAT, SAT, ON, THE, MAT],      # seen all along
        [BOS_ID, MAT, DOG, DOG, OOV_ID, MAT, THE],  # mostly unseen n-grams
        [BOS_ID, THE, EOS_ID, PAD_ID, PAD_ID, PAD_ID, PAD_ID],  # padding after the end
    ], dtype=np.int32)

    probabilities = model.probabilities(contexts)

    assert probabilities.shape == (3, 7, VOCAB.size)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-12)
    assert np.all(probabilities[..., [PAD_ID, BOS_ID]] == 0)
    predictable = np.delete(probabilities, [PAD_ID, BOS_ID], axis=-1)
    assert np.all(predictable > 0)  # Smoothing: every word keeps some probability.


def test_bigram_probabilities_match_the_kneser_ney_formula_by_hand():
    vocab = Vocabulary(["a", "b", "c"])
    a, b = vocab.id_of("a"), vocab.id_of("b")
    model = KneserNeyModel.count(corpus_sequences(["a b", "a c"], vocab), vocab_size=vocab.size,
                           order=2)
    # Bigram counts <bos>a:2, ab:1, ac:1, b<eos>:1, c<eos>:1, so D2 = 4 / (4 + 2 * 1).
    # Continuation counts a:1 b:1 c:1 <eos>:2 (total 5), so D1 = 3 / (3 + 2 * 1); the 5
    # predictable ids (oov, eos, a, b, c) share D1 * 4 / 5 uniformly.
    unigram_b = (1 - 0.6) / 5 + 0.6 * 4 / 5 / 5
    expected_b_after_a = (1 - 2 / 3) / 2 + (2 / 3) * 2 / 2 * unigram_b

    probabilities = model.probabilities(np.array([[BOS_ID, a, OOV_ID]], dtype=np.int32))

    assert probabilities[0, 1, b] == pytest.approx(expected_b_after_a)
    assert probabilities[0, 2, b] == pytest.approx(unigram_b)  # Unseen context: backs off.
    assert probabilities[0, 0, a] > 0.5  # Every message starts with "a".


def test_longer_context_beats_shorter_one():
    model = KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size, order=3)
    # "sat" follows "the cat" every time; "on" follows "cat sat" twice of three.
    probabilities = model.probabilities(np.array([[BOS_ID, THE, CAT, SAT]], dtype=np.int32))

    assert np.argmax(probabilities[0, 2]) == SAT
    assert np.argmax(probabilities[0, 3]) == ON


def test_logits_are_log_probabilities():
    model = KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size, order=3)
    inputs = np.array([[BOS_ID, THE, CAT]], dtype=np.int32)

    logits = model.logits(inputs)

    assert logits.dtype == np.float32
    np.testing.assert_allclose(np.exp(logits), model.probabilities(inputs), rtol=1e-6)


def test_order_must_be_positive():
    with pytest.raises(ValueError, match="order"):
        KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size, order=0)


def test_saved_tables_load_back_to_the_same_probabilities(tmp_path):
    model = KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size, order=3)
    contexts = corpus_sequences(["the cat sat on the dog", "mat mat the"])

    model.save(tmp_path / "ngram.npz")
    loaded = KneserNeyModel.load(tmp_path / "ngram.npz", vocab_size=VOCAB.size)

    assert (loaded.order, loaded.table_bytes) == (3, model.table_bytes)
    np.testing.assert_array_equal(loaded.probabilities(contexts), model.probabilities(contexts))


def test_a_file_of_another_vocabulary_or_not_an_ngram_is_refused(tmp_path):
    KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size).save(
        tmp_path / "ngram.npz")
    (tmp_path / "broken.npz").write_bytes(b"not a zip")

    with pytest.raises(ValueError, match="not over the 7 ids"):
        KneserNeyModel.load(tmp_path / "ngram.npz", vocab_size=7)
    with pytest.raises(ValueError, match="not an n-gram file"):
        KneserNeyModel.load(tmp_path / "broken.npz", vocab_size=VOCAB.size)


def test_the_next_word_after_a_context_is_the_last_position_of_its_row():
    model = KneserNeyModel.count(corpus_sequences(CORPUS), vocab_size=VOCAB.size, order=3)
    context = np.array([BOS_ID, THE, CAT, SAT, ON, THE], dtype=np.int32)

    np.testing.assert_array_equal(model.next_log_probabilities(context),
                                  model.logits(context[None, :])[0, -1])
    assert np.argmax(model.next_log_probabilities(context[:3])) == SAT  # "the cat" -> sat
