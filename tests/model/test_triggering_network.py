"""The Keras triggering network scores as the numpy model the export serves (TensorFlow:
marked slow)."""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from data.impressions import ImpressionRecord  # noqa: E402
from model.triggering import Features, TriggeringConfig  # noqa: E402
from model.triggering_network import (  # noqa: E402
    INDICES,
    VALUES,
    build_triggering_network,
    to_triggering_model,
)
from model.triggering_training import log_examples  # noqa: E402

pytestmark = pytest.mark.slow

CONFIG = TriggeringConfig(buckets=64, context_words=3)


def impressions() -> list[ImpressionRecord]:
    return [ImpressionRecord(user, f"2026-03-01T{hour:02d}:00:00Z", context, candidate, 2, 0.4,
                             clicked)
            for user, hour, context, candidate, clicked in [
                ("u1", 9, "making lasagna", "how to make lasagna", True),
                ("u1", 20, "see you", "weather today", False),
                ("u2", 21, "pizza", "pizza near me", False)]]


def test_a_fresh_network_predicts_its_initial_bias_for_every_row():
    model = build_triggering_network(CONFIG.buckets, initial_bias=-2.0)
    matrix, _ = log_examples(impressions(), CONFIG)
    indices, values = matrix.padded()

    logits = model({INDICES: indices, VALUES: values}).numpy()

    np.testing.assert_allclose(logits, np.full((3, 1), -2.0))


def test_the_network_and_its_numpy_model_give_the_same_logits():
    model = build_triggering_network(CONFIG.buckets)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(size=CONFIG.buckets).astype(np.float32), np.float32(0.3)])
    matrix, _ = log_examples(impressions(), CONFIG)
    indices, values = matrix.padded()
    numpy_model = to_triggering_model(CONFIG, [w.numpy() for w in model.trainable_weights])

    keras_logits = model({INDICES: indices, VALUES: values}).numpy()[:, 0]

    numpy_logits = [numpy_model.logit(Features(matrix.indices[start:end],
                                               matrix.values[start:end]))
                    for start, end in zip(matrix.indptr, matrix.indptr[1:])]
    np.testing.assert_allclose(keras_logits, numpy_logits, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="expected weights of shape"):
        to_triggering_model(TriggeringConfig(buckets=32), model.get_weights())

