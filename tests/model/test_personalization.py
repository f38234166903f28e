"""On-device fine-tuning (TensorFlow: marked slow), and its config (pure)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from model.config import ModelConfig
from model.vocab import Vocabulary

tf = pytest.importorskip("tensorflow")

from model.keras_io import assign_weights, weights_by_name  # noqa: E402
from model.network import build_model  # noqa: E402
from model.personalization import (  # noqa: E402
    PersonalizationConfig,
    personalize,
    trainable_variables,
)
from model.sequences import to_examples  # noqa: E402

VOCAB = Vocabulary(["how", "to", "make", "bread", "map", "many", "cats"])
CONFIG = ModelConfig(vocab_size=VOCAB.size, embedding_dim=8, lstm_units=12, max_words=6)
PHRASE = "how to make bread"


def phrase_log_probability(weights: dict[str, np.ndarray]) -> float:
    """The model's log-probability of PHRASE's words after their contexts."""
    model = build_model(CONFIG, seed=0)
    assign_weights(model, weights)
    inputs, targets = to_examples([PHRASE], VOCAB, max_words=CONFIG.max_words)
    log_probs = tf.nn.log_softmax(model(inputs)).numpy()[0]
    return float(sum(log_probs[t, targets[0, t]] for t in range(len(PHRASE.split()))))


@pytest.mark.slow
@pytest.mark.parametrize(("optimizer", "trainable", "learning_rate"),
                         [("sgd", "all", 0.5), ("adam", "rnn_and_bias", 0.05),
                          ("sgd", "bias", 1.0)])
def test_a_repeated_phrase_scores_higher_after_personalization(optimizer, trainable,
                                                               learning_rate):
    global_weights = weights_by_name(build_model(CONFIG, seed=3))
    before = {name: value.copy() for name, value in global_weights.items()}
    config = PersonalizationConfig(epochs=3, learning_rate=learning_rate, optimizer=optimizer,
                                   trainable=trainable, batch_size=4, min_messages=5,
                                   interpolation=1.0)

    personal = personalize(global_weights, CONFIG, VOCAB, [PHRASE] * 12 + ["many cats"] * 4,
                           config)

    assert phrase_log_probability(personal) > phrase_log_probability(global_weights) + 1.0
    for name, value in global_weights.items():  # The caller's global copy is untouched.
        np.testing.assert_array_equal(value, before[name])


@pytest.mark.slow
def test_frozen_layers_stay_and_interpolation_is_linear():
    global_weights = weights_by_name(build_model(CONFIG, seed=3))
    messages = [PHRASE] * 12
    config = PersonalizationConfig(epochs=2, trainable="rnn_and_bias", batch_size=4,
                                   interpolation=1.0, min_messages=1)

    tuned = personalize(global_weights, CONFIG, VOCAB, messages, config)
    half = personalize(global_weights, CONFIG, VOCAB, messages,
                       dataclasses.replace(config, interpolation=0.5))

    embedding = "embedding/embeddings:0"
    np.testing.assert_array_equal(tuned[embedding], global_weights[embedding])
    for name in tuned:
        np.testing.assert_allclose(half[name], (tuned[name] + global_weights[name]) / 2,
                                   atol=1e-5)


@pytest.mark.slow
def test_below_min_messages_the_global_weights_are_returned():
    global_weights = weights_by_name(build_model(CONFIG, seed=3))

    personal = personalize(global_weights, CONFIG, VOCAB, [PHRASE] * 3,
                           PersonalizationConfig(min_messages=4))

    for name, value in global_weights.items():
        np.testing.assert_array_equal(personal[name], value)
        assert personal[name] is not value


@pytest.mark.slow
def test_trainable_choices_select_layers():
    variables = build_model(CONFIG, seed=0).trainable_variables

    assert [v.name for v in trainable_variables(variables, "bias")] == ["tied_logits/bias:0"]
    assert len(trainable_variables(variables, "rnn_and_bias")) == len(variables) - 1
    assert len(trainable_variables(variables, "all")) == len(variables)


@pytest.mark.slow
def test_a_vocabulary_of_another_export_is_refused():
    with pytest.raises(ValueError, match="different exports"):
        personalize({}, ModelConfig(vocab_size=5), VOCAB, [PHRASE], PersonalizationConfig())


@pytest.mark.parametrize(("options", "message"), [
    ({"optimizer": "rmsprop"}, r"optimizer must be one of \('sgd', 'adam'\), got 'rmsprop'"),
    ({"trainable": "head"}, "trainable must be one of"),
    ({"epochs": 0}, "epochs must be >= 1, got 0"),
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"learning_rate": 0.0}, "learning_rate must be > 0"),
    ({"interpolation": 1.5}, r"interpolation must be in \[0, 1\], got 1.5"),
    ({"min_messages": -1}, "min_messages must be >= 0"),
])
def test_config_errors_say_what_is_wrong(options, message):
    with pytest.raises(ValueError, match=message):
        PersonalizationConfig(**options)


@pytest.mark.slow
def test_the_device_recall_scores_both_models_as_served_with_the_exports_ngram(tmp_path):
    from model.export import write_export
    from model.ngram import KneserNeyModel, sequences_of
    from model.personal_model import build_personal_model
    from model.serving import to_tflite

    network = build_model(CONFIG, seed=3)
    texts = ["many cats"] * 5 + [PHRASE] * 10  # The newest, held out, are the phrase.
    ngram = KneserNeyModel.count(sequences_of(*to_examples(texts, VOCAB, max_words=6)),
                                 vocab_size=VOCAB.size)
    recalls = {}
    for weight in (0.0, 1.0):
        export = write_export(tmp_path / str(weight), model_config=CONFIG, vocab=VOCAB,
                              weights=weights_by_name(network),
                              tflite_model=to_tflite(network, CONFIG), label="r0001",
                              ngram=ngram, network_weight=weight)
        recalls[weight] = build_personal_model(export, texts, PersonalizationConfig(
            epochs=3, learning_rate=0.5, batch_size=2)).recall

    # The n-gram alone is served at weight 0: fine-tuning the network changes nothing there.
    assert recalls[0.0].global_top1 == recalls[0.0].personal_top1 > 0.5
    assert recalls[1.0].personal_top1 > recalls[1.0].global_top1  # The network alone.
