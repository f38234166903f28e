"""The triggering model as a Keras network, for federated and centralized training in TF.

One output: the log-odds of a tap, ``sum_i weights[indices[i]] * values[i] + bias`` over a
suggestion's hashed features (`model.triggering`), i.e. an embedding bag of width 1 plus a
bias: logistic regression. Inputs are padded per batch; padding entries have value 0, so they
add nothing whatever their index. The trained weights become a numpy `TriggeringModel`, which
scores exactly this (up to float32 rounding), so the export serves without TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from model.triggering import TriggeringConfig, TriggeringModel

INDICES = "indices"
VALUES = "values"


class HashedLinear(tf.keras.layers.Layer):
    """``sum(weights[indices] * values, axis=-1) + bias``, one logit per row."""

    def __init__(self, buckets: int, *, initial_bias: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.buckets = buckets
        self.initial_bias = initial_bias

    def build(self, input_shape):
        # Zeros: no random initialization, and a feature never seen in training adds nothing.
        self.hashed_weights = self.add_weight(name="weights", shape=(self.buckets,),
                                              initializer="zeros")
        self.bias = self.add_weight(
            name="bias", shape=(), initializer=tf.keras.initializers.Constant(self.initial_bias))
        super().build(input_shape)

    def call(self, inputs):
        indices, values = inputs
        terms = tf.gather(self.hashed_weights, indices) * values
        return tf.reduce_sum(terms, axis=-1, keepdims=True) + self.bias


def build_triggering_network(buckets: int, *, initial_bias: float = 0.0) -> tf.keras.Model:
    """A fresh network: ``{"indices": int32 [batch, n], "values": float32 [batch, n]}`` ->
    logits ``[batch, 1]``. Weights start at 0 and the bias at `initial_bias` (deterministic)."""
    indices = tf.keras.Input(shape=(None,), dtype=tf.int32, name=INDICES)
    values = tf.keras.Input(shape=(None,), dtype=tf.float32, name=VALUES)
    logits = HashedLinear(buckets, initial_bias=initial_bias, name="linear")([indices, values])
    return tf.keras.Model(inputs={INDICES: indices, VALUES: values}, outputs=logits,
                          name="triggering")


def triggering_loss() -> tf.keras.losses.Loss:
    """Log loss of the tap labels (``[batch, 1]`` floats 0/1) given the logits."""
    return tf.keras.losses.BinaryCrossentropy(from_logits=True)


def to_triggering_model(config: TriggeringConfig,
                        trainable: Sequence[np.ndarray]) -> TriggeringModel:
    """The numpy model of the network's trainable weights, in the network's order
    (weights, bias), e.g. `tff.learning.models.ModelWeights.trainable`."""
    weights, bias = (np.asarray(value) for value in trainable)
    if weights.shape != (config.buckets,) or bias.shape != ():
        raise ValueError(f"expected weights of shape ({config.buckets},) and a scalar bias, got "
                         f"{weights.shape} and {bias.shape}")
    return TriggeringModel(config, weights, float(bias))
