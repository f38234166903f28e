"""`--client-lr-half-life`: clients train at the rate of their round (TFF's scheduled FedAvg).
Tiny model, real TFF runtime. Marked slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow as tf  # noqa: E402
import tensorflow_federated as tff  # noqa: E402

from federated.learning.client_data import make_dataset  # noqa: E402
from federated.learning.options import OptimizerConfig  # noqa: E402
from federated.learning.processes import build_training_process, make_model_fn  # noqa: E402
from federated.learning.worker import tff_worker  # noqa: E402
from federated.privacy.options import PrivacyConfig  # noqa: E402
from model.config import ModelConfig  # noqa: E402

pytestmark = pytest.mark.slow

MODEL = ModelConfig(vocab_size=12, embedding_dim=4, lstm_units=6, max_words=4)


def optimizers(client_learning_rate: float, half_life: int = 0) -> OptimizerConfig:
    # Server SGD at rate 1: the new model is the old one minus the client's update.
    return OptimizerConfig(client_learning_rate=client_learning_rate,
                           client_lr_half_life=half_life, server_optimizer="sgdm",
                           server_learning_rate=1.0, server_momentum=0.0)


def one_batch() -> tf.data.Dataset:
    """Two examples in one batch: one SGD step, whose update is the rate times a gradient."""
    rng = np.random.default_rng(3)
    inputs = rng.integers(4, MODEL.vocab_size, size=(2, MODEL.sequence_length), dtype=np.int32)
    return make_dataset(inputs, np.roll(inputs, -1, axis=1), batch_size=2)


def round_update(process, state) -> tuple[list[np.ndarray], object]:
    """How far one round of the one client moves the trained weights, and the new state."""
    after = process.next(state, [one_batch()]).state
    moved = [np.asarray(old) - np.asarray(new)
             for old, new in zip(process.get_model_weights(state).trainable,
                                 process.get_model_weights(after).trainable)]
    return moved, after


def same_weights(process, weights) -> object:
    return process.set_model_weights(process.initialize(), weights)


def test_the_client_rate_halves_every_half_life_from_the_first_round():
    model_fn = make_model_fn(MODEL, seed=0)
    mean = tff.aggregators.MeanFactory()
    scheduled, at_full_rate, at_half_rate = (
        build_training_process(model_fn, config, PrivacyConfig(), aggregator=mean)
        for config in (optimizers(0.4, half_life=1), optimizers(0.4), optimizers(0.2)))
    with tff_worker():
        start = scheduled.initialize()
        first, after_first = round_update(scheduled, start)
        second, _ = round_update(scheduled, after_first)
        full, _ = round_update(at_full_rate, same_weights(at_full_rate,
                                                          scheduled.get_model_weights(start)))
        half, _ = round_update(at_half_rate, same_weights(
            at_half_rate, scheduled.get_model_weights(after_first)))

    assert any(np.abs(leaf).max() > 1e-4 for leaf in first)
    for got, want in zip(first, full):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
    for got, want in zip(second, half):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
