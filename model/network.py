"""The Keras next-word network: embedding, CIFG-LSTM with projection, tied output embedding.

As in Hard et al. 2018, the cell's output is projected to the embedding width and scored
against the input embedding matrix, so the largest matrix is stored (and sent) once.
"""

from __future__ import annotations

import tensorflow as tf

from model.cifg import CIFGCell
from model.config import ModelConfig
from model.vocab import PAD_ID


class TiedOutputLogits(tf.keras.layers.Layer):
    """Scores every word against the input embedding matrix (tied embeddings), plus a bias."""

    def __init__(self, embedding: tf.keras.layers.Embedding, **kwargs):
        super().__init__(**kwargs)
        self.embedding = embedding

    def build(self, input_shape):
        self.bias = self.add_weight(
            name="bias", shape=(self.embedding.input_dim,), initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        # A 2-D matmul: einsum's gradient for the shared matrix is ten times slower here.
        flat = tf.reshape(inputs, [-1, tf.shape(inputs)[-1]])
        logits = tf.matmul(flat, self.embedding.embeddings, transpose_b=True) + self.bias
        return tf.reshape(logits, tf.concat([tf.shape(inputs)[:-1], [-1]], axis=0))


class ReproducibleDropout(tf.keras.layers.Layer):
    """Dropout (while training only) whose mask is a function of the computation alone.

    Keras' `Dropout` draws from a stateful generator: TFF trains clients concurrently, so the
    order of the draws, and with it the run, would depend on thread scheduling. Here the mask
    comes from a stateless generator keyed by `seed` and a fingerprint of the input, which
    changes with every batch and every weight update: the same run gives the same masks.
    """

    def __init__(self, rate: float, *, seed: int, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = rate
        self.seed = seed

    # Plain Python: `training` is a Python bool (or None) here, never a tensor to branch on.
    @tf.autograph.experimental.do_not_convert
    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        fingerprint = tf.bitcast(tf.reduce_sum(inputs), tf.int32)
        draws = tf.random.stateless_uniform(
            tf.shape(inputs), seed=tf.stack([tf.constant(self.seed, tf.int32), fingerprint]))
        return tf.where(draws >= self.rate, inputs / (1 - self.rate), tf.zeros_like(inputs))


def build_model(config: ModelConfig, *, seed: int, dropout: float = 0.0) -> tf.keras.Model:
    """Returns a fresh next-word model: int ids `[batch, time]` -> logits.

    Every initializer has its own seed derived from `seed` (no global random state), so the
    same seed gives the same weights in any process, eagerly or traced. Padding positions
    produce logits too; losses and metrics mask them out. `dropout` drops that share of the
    embedding's and the cell's outputs while training (regularization for small, sparse
    data: Zaremba et al. 2014); it has no weights, so it changes no export.
    """
    ids = tf.keras.Input(shape=(None,), dtype=tf.int32, name="ids")
    embedding = tf.keras.layers.Embedding(
        config.vocab_size, config.embedding_dim, name="embedding",
        embeddings_initializer=tf.keras.initializers.RandomUniform(-0.05, 0.05, seed=seed))
    rnn = tf.keras.layers.RNN(
        CIFGCell(config.lstm_units, config.embedding_dim, seed=seed + 1, name="cifg"),
        return_sequences=True, name="rnn")
    embedded = ReproducibleDropout(dropout, seed=seed + 2, name="embedding_dropout")(
        embedding(ids))
    states = ReproducibleDropout(dropout, seed=seed + 3, name="rnn_dropout")(rnn(embedded))
    logits = TiedOutputLogits(embedding, name="tied_logits")(states)
    return tf.keras.Model(inputs=ids, outputs=logits, name="cifg_next_word")


def logits_at(model: tf.keras.Model, ids: tf.Tensor, positions: tf.Tensor) -> tf.Tensor:
    """The logits `[batch, V]` of `model` (from `build_model`) at one position per row of `ids`.

    Runs the output layer on those positions only: it holds the largest matrix of the network,
    so scoring every position of a padded context would be most of a keystroke's work.
    """
    states = model.get_layer("rnn")(model.get_layer("embedding")(ids), training=False)
    return model.get_layer("tied_logits")(tf.gather(states, positions, axis=1, batch_dims=1))


def next_word_loss() -> tf.keras.losses.Loss:
    """Cross-entropy over every real target (words and EOS); padding is ignored."""
    return tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=PAD_ID)
