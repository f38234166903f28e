"""The federated evaluation of personalization (TFF): only metrics reach the server, and a
client whose messages repeat a phrase scores it better once personalized."""

from __future__ import annotations

import numpy as np
import pytest

tff = pytest.importorskip("tensorflow_federated")

from federated.learning.personalization import (  # noqa: E402
    BASELINE,
    SIZES,
    build_personalization_eval,
    client_input,
    global_weights,
    interpolation_key,
    make_model_fn,
    metrics_only,
    strategy_key,
)
from federated.learning.worker import tff_worker  # noqa: E402
from model.config import ModelConfig  # noqa: E402
from model.interpolation import interpolate  # noqa: E402
from model.keras_io import weights_by_name  # noqa: E402
from model.metrics import scored_positions, top_k_hits  # noqa: E402
from model.network import build_model  # noqa: E402
from model.ngram import KneserNeyModel, sequences_of  # noqa: E402
from model.personalization import PersonalizationConfig  # noqa: E402
from model.sequences import to_examples  # noqa: E402
from model.vocab import NUM_SPECIAL_TOKENS, Vocabulary  # noqa: E402
from model.word_cache import WordCache, cache_predictions  # noqa: E402

pytestmark = pytest.mark.slow

VOCAB = Vocabulary(["how", "to", "make", "bread", "map", "many", "cats"])
MODEL = ModelConfig(vocab_size=VOCAB.size, embedding_dim=8, lstm_units=12, max_words=6)
PHRASE = "how to make bread with zork"  # "with" and "zork" are not in the vocabulary.
STRATEGIES = [PersonalizationConfig(epochs=3, learning_rate=0.5, batch_size=2),
              PersonalizationConfig(epochs=3, learning_rate=0.05, optimizer="adam",
                                    trainable="bias", batch_size=2)]


def built(network_weight: float):
    weights, shapes = global_weights(MODEL, weights_by_name(build_model(MODEL, seed=3)))
    computation = build_personalization_eval(make_model_fn(MODEL, seed=0), STRATEGIES,
                                             [0.0, 1.0], trainable_shapes=shapes,
                                             network_weight=network_weight, max_clients=5)
    return weights, computation


@pytest.fixture(scope="module")
def evaluation():
    return built(network_weight=1.0)


def phrase_client(older: int, newer: int, ngram: KneserNeyModel | None = None):
    personal, scored = [PHRASE] * older, [PHRASE] * newer
    cache = WordCache.from_messages(personal, VOCAB)
    scored_examples = to_examples(scored, VOCAB, max_words=MODEL.max_words)
    return client_input(to_examples(personal, VOCAB, max_words=MODEL.max_words),
                        scored_examples,
                        *cache_predictions(cache, scored, max_words=MODEL.max_words),
                        None if ngram is None else ngram.logits(scored_examples[0]))


def test_only_per_client_metric_scalars_reach_the_server(evaluation):
    _, computation = evaluation
    signature = computation.type_signature

    assert metrics_only(computation)
    assert signature.result.placement is tff.SERVER
    # What the clients get: the server's weights; what comes back: no tensor of a weight's
    # shape (rank >= 2, or the vocabulary-sized bias), only one number per client.
    leaves = tff.structure.flatten(signature.result.member)
    assert leaves and all(leaf.shape == (None,) and leaf.dtype == np.float32
                          for leaf in leaves)


def test_metrics_only_refuses_a_computation_returning_weights():
    @tff.federated_computation(tff.FederatedType(tff.TensorType(np.float32, [3, 2]),
                                                 tff.SERVER))
    def returns_weights(weights):
        return weights

    assert not metrics_only(returns_weights)


def test_a_repeated_phrase_scores_better_after_personalization(evaluation):
    weights, computation = evaluation

    with tff_worker():
        metrics = computation(weights, [phrase_client(8, 3), phrase_client(8, 3)])

    base, sizes = metrics[BASELINE], metrics[SIZES]
    np.testing.assert_array_equal(sizes["personal_messages"], [8, 8])
    np.testing.assert_array_equal(base["scored_words"], [15, 15])  # 5 words after the first.
    for index in range(len(STRATEGIES)):
        unchanged = metrics[strategy_key(index)][interpolation_key(0)]
        tuned = metrics[strategy_key(index)][interpolation_key(1)]
        np.testing.assert_array_equal(unchanged["top1_hits"], base["top1_hits"])
        assert (tuned["top1_hits"] > base["top1_hits"]).all()
    # The cache suggests "with" after "bread" and "zork" after "with", which the model never
    # can: two more hits per message.
    np.testing.assert_array_equal(base["top1_hits_with_cache"] - base["top1_hits"], [6, 6])


@pytest.fixture(scope="module")
def ngram() -> KneserNeyModel:
    """A trigram model of messages near the phrase's, as an export carries one."""
    inputs, targets = to_examples(["how to make map", "many cats", "how to make bread"] * 3,
                                  VOCAB, max_words=MODEL.max_words)
    return KneserNeyModel.count(sequences_of(inputs, targets), vocab_size=VOCAB.size)


def test_every_model_is_scored_as_served_with_the_exports_ngram(ngram):
    # At network weight 0 the keyboard serves the n-gram alone: the hits are the n-gram's,
    # before and after fine-tuning the network.
    weights, computation = built(network_weight=0.0)
    scored_inputs, scored_targets = to_examples([PHRASE] * 3, VOCAB, max_words=MODEL.max_words)
    expected = float(np.sum(top_k_hits(scored_targets, ngram.logits(scored_inputs), k=1).numpy()
                            & scored_positions(scored_targets, exclude_oov=False).numpy()))

    with tff_worker():
        metrics = computation(weights, [phrase_client(8, 3, ngram)])

    assert expected > 0
    np.testing.assert_array_equal(metrics[BASELINE]["top1_hits"], [expected])
    for index in range(len(STRATEGIES)):
        tuned = metrics[strategy_key(index)][interpolation_key(1)]
        np.testing.assert_array_equal(tuned["top1_hits"], [expected])


def test_a_mixture_is_scored_as_the_keyboard_mixes_and_the_cache_competes_with_it(ngram):
    weights, computation = built(network_weight=0.5)
    scored = [PHRASE] * 3
    scored_inputs, scored_targets = to_examples(scored, VOCAB, max_words=MODEL.max_words)
    served = interpolate(build_model(MODEL, seed=3)(scored_inputs).numpy(),
                         ngram.logits(scored_inputs), 0.5)  # The keyboard's mixture.
    counted = scored_positions(scored_targets, exclude_oov=False).numpy()
    hits = top_k_hits(scored_targets, served, k=1).numpy()
    probability, cache_hit = cache_predictions(WordCache.from_messages([PHRASE] * 8, VOCAB),
                                               scored, max_words=MODEL.max_words)
    best = np.exp(served[..., NUM_SPECIAL_TOKENS:]).max(axis=-1)
    with_cache = np.where(probability > best, cache_hit, hits)

    with tff_worker():
        metrics = computation(weights, [phrase_client(8, 3, ngram)])

    np.testing.assert_array_equal(metrics[BASELINE]["top1_hits"], [np.sum(hits & counted)])
    np.testing.assert_array_equal(metrics[BASELINE]["top1_hits_with_cache"],
                                  [np.sum(with_cache & counted)])
    assert np.sum(with_cache & counted) > np.sum(hits & counted)  # The cache's OOV words.


def test_a_client_without_the_exports_ngram_is_refused():
    weights, computation = built(network_weight=0.5)

    with tff_worker(), pytest.raises(Exception, match="log-probabilities are missing"):
        computation(weights, [phrase_client(8, 3, ngram=None)])
