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


def build_model(config: ModelConfig, *, seed: int) -> tf.keras.Model:
    """Returns a fresh next-word model: int ids `[batch, time]` -> logits.

    Every initializer has its own seed derived from `seed` (no global random state), so the
    same seed gives the same weights in any process, eagerly or traced. Padding positions
    produce logits too; losses and metrics mask them out.
    """
    ids = tf.keras.Input(shape=(None,), dtype=tf.int32, name="ids")
    embedding = tf.keras.layers.Embedding(
        config.vocab_size, config.embedding_dim, name="embedding",
        embeddings_initializer=tf.keras.initializers.RandomUniform(-0.05, 0.05, seed=seed))
    rnn = tf.keras.layers.RNN(
        CIFGCell(config.lstm_units, config.embedding_dim, seed=seed + 1, name="cifg"),
        return_sequences=True, name="rnn")
    logits = TiedOutputLogits(embedding, name="tied_logits")(rnn(embedding(ids)))
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
