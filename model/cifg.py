"""The CIFG-LSTM cell of Gboard's next-word model (Hard et al. 2018).

A Coupled Input and Forget Gate LSTM drops the input gate: it is tied to the forget gate as
`i = 1 - f`, which saves a quarter of the recurrent parameters for the same quality. The
cell output is projected down to `projection_units` (an LSTM "with projection"), so the
recurrent matrix and the tied output embedding stay small.
"""

from __future__ import annotations

import tensorflow as tf


class CIFGCell(tf.keras.layers.Layer):
    """A CIFG-LSTM cell with an output projection, usable in `tf.keras.layers.RNN`.

    State: `[h, c]` with `h` of size `projection_units` and `c` of size `units`.
    """

    def __init__(self, units: int, projection_units: int, *, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        if units < 1 or projection_units < 1:
            raise ValueError(f"units and projection_units must be >= 1, got {units}, "
                             f"{projection_units}")
        self.units = units
        self.projection_units = projection_units
        self.seed = seed
        self.state_size = [projection_units, units]
        self.output_size = projection_units

    def build(self, input_shape):
        input_dim = int(input_shape[-1])
        # Three blocks, in order: forget gate, cell candidate, output gate.
        self.kernel = self.add_weight(
            name="kernel", shape=(input_dim, 3 * self.units),
            initializer=tf.keras.initializers.GlorotUniform(seed=self.seed))
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel", shape=(self.projection_units, 3 * self.units),
            initializer=tf.keras.initializers.Orthogonal(seed=self.seed + 1))
        # A forget-gate bias of 1 keeps memory early in training (Jozefowicz et al. 2015).
        self.bias = self.add_weight(
            name="bias", shape=(3 * self.units,),
            initializer=tf.keras.initializers.Constant(
                [1.0] * self.units + [0.0] * (2 * self.units)))
        self.projection = self.add_weight(
            name="projection", shape=(self.units, self.projection_units),
            initializer=tf.keras.initializers.GlorotUniform(seed=self.seed + 2))
        super().build(input_shape)

    def call(self, inputs, states):
        h, c = states
        z = tf.matmul(inputs, self.kernel) + tf.matmul(h, self.recurrent_kernel) + self.bias
        forget_logits, candidate_logits, output_logits = tf.split(z, 3, axis=-1)
        forget = tf.sigmoid(forget_logits)
        new_c = forget * c + (1.0 - forget) * tf.tanh(candidate_logits)
        new_h = tf.matmul(tf.sigmoid(output_logits) * tf.tanh(new_c), self.projection)
        return new_h, [new_h, new_c]

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "projection_units": self.projection_units, "seed": self.seed}
