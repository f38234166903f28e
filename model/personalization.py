"""On-device personalization: fine-tune a copy of the global model on one device's messages.

One loop serves the keyboard (`fine_tune`, `personalize`, eager Keras) and the federated
evaluation (`federated.learning.personalization`, inside a TFF computation): both call
`train_variables` with the variables that train and a loss-of-batch function, so what the
evaluation measures is what the phone runs. The optimizers are written here, with their slots
created up front, because the same code must run eagerly and inside TFF's graphs.

The personal model is `global + interpolation * (fine_tuned - global)` (Wang et al. 2019
choose between the two from federated measurements; 1.0 is the fine-tuned model).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from model.config import ModelConfig
from model.keras_io import assign_weights, weights_by_name
from model.network import build_model, next_word_loss
from model.sequences import to_examples
from model.vocab import Vocabulary

OPTIMIZERS = ("sgd", "adam")
# Which variables train, by the Keras layers that own them (`model.network.build_model`).
TRAINABLE_LAYERS = {
    "all": ("embedding", "rnn", "tied_logits"),
    "rnn_and_bias": ("rnn", "tied_logits"),  # The tied embedding (the largest matrix) stays.
    "bias": ("tied_logits",),  # The output bias only: which words this user types often.
}

Batch = Any  # One `(inputs, targets)` batch of a dataset.


@dataclass(frozen=True)
class PersonalizationConfig:
    """How a device fine-tunes the global model on its own messages.

    The optimizer, learning rate, epochs, layers and interpolation are what
    `python -m federated.report.personalization RUN_DIR --epochs 1,3` chose on the demo run's
    training users, each model scored as served with the export's n-gram: the epochs a device
    can afford within the time goal (README, "Personalization"). `min_messages` is the
    keyboard's trigger, where the evaluation's users gain most and fewest lose.

    Attributes:
        epochs: passes over the device's messages.
        learning_rate: the local optimizer's step size.
        optimizer: "sgd" or "adam".
        batch_size: messages per step.
        trainable: which layers train, a key of `TRAINABLE_LAYERS`.
        interpolation: personal = global + interpolation * (fine_tuned - global), in [0, 1].
        min_messages: below this many messages the device keeps the global model.
        max_messages: fine-tune on the newest this many messages only (bounds the time).
        seed: the shuffle order of the device's messages.
    """

    epochs: int = 3
    learning_rate: float = 0.1
    optimizer: str = "sgd"
    batch_size: int = 16
    trainable: str = "all"
    interpolation: float = 1.0
    min_messages: int = 40
    max_messages: int = 200
    seed: int = 0

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.trainable not in TRAINABLE_LAYERS:
            raise ValueError(f"trainable must be one of {tuple(TRAINABLE_LAYERS)}, "
                             f"got {self.trainable!r}")
        for name in ("epochs", "batch_size", "max_messages"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.min_messages < 0:
            raise ValueError(f"min_messages must be >= 0, got {self.min_messages}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0, got {self.learning_rate}")
        if not 0.0 <= self.interpolation <= 1.0:
            raise ValueError(f"interpolation must be in [0, 1], got {self.interpolation}")


def trainable_variables(variables: Sequence[tf.Variable], trainable: str) -> list[tf.Variable]:
    """The variables of `variables` that `trainable` fine-tunes, in their order.

    Matched by the owning layer's name, which graphs may suffix (`rnn_1/...` in TFF).
    """
    if trainable not in TRAINABLE_LAYERS:
        raise ValueError(f"trainable must be one of {tuple(TRAINABLE_LAYERS)}, got {trainable!r}")
    pattern = re.compile(rf"^({'|'.join(TRAINABLE_LAYERS[trainable])})(_\d+)?/")
    selected = [v for v in variables if pattern.match(v.name)]
    if not selected:
        raise ValueError(f"no variable matches trainable={trainable!r} among "
                         f"{[v.name for v in variables]}")
    return selected


class LocalOptimizer:
    """Plain SGD or Adam. Adam's slots are created here, from the shapes of the variables it
    will step, because TFF builds the optimizer before the model it is given."""

    def __init__(self, shapes: Sequence[Sequence[int]], *, optimizer: str,
                 learning_rate: float):
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {optimizer!r}")
        self._learning_rate = learning_rate
        self._adam = optimizer == "adam"
        if self._adam:
            self._steps = tf.Variable(0.0, trainable=False, name="p13n_adam_steps")
            self._first = [tf.Variable(tf.zeros(shape), trainable=False) for shape in shapes]
            self._second = [tf.Variable(tf.zeros(shape), trainable=False) for shape in shapes]

    def apply(self, variables: Sequence[tf.Variable], gradients: Sequence[tf.Tensor]) -> None:
        """One step on `variables` (float32, of the shapes given, gradients in their order)."""
        if not self._adam:
            for variable, gradient in zip(variables, gradients):
                variable.assign_sub(self._learning_rate * tf.convert_to_tensor(gradient))
            return
        beta1, beta2, epsilon = 0.9, 0.999, 1e-7
        steps = self._steps.assign_add(1.0)
        rate = self._learning_rate * tf.sqrt(1.0 - beta2**steps) / (1.0 - beta1**steps)
        for variable, gradient, first, second in zip(variables, gradients, self._first,
                                                     self._second):
            gradient = tf.convert_to_tensor(gradient)
            first.assign(beta1 * first + (1.0 - beta1) * gradient)
            second.assign(beta2 * second + (1.0 - beta2) * tf.square(gradient))
            variable.assign_sub(rate * first / (tf.sqrt(second) + epsilon))


def training_batches(examples: tf.data.Dataset, config: PersonalizationConfig) -> tf.data.Dataset:
    """The device's unbatched `(inputs, targets)` examples as fine-tuning batches: shuffled
    with `config.seed` (the same order every epoch), `config.epochs` passes."""
    return (examples.shuffle(1024, seed=config.seed, reshuffle_each_iteration=False)
            .repeat(config.epochs).batch(config.batch_size))


def train_variables(variables: Sequence[tf.Variable], batches: tf.data.Dataset,
                    loss_of_batch: Callable[[Batch], tf.Tensor],
                    optimizer: LocalOptimizer) -> tf.Tensor:
    """The fine-tuning loop: one optimizer step per batch. Returns the number of steps.

    Runs eagerly or inside a `tf.function` (where TFF calls it).
    """
    steps = tf.constant(0)
    for batch in iter(batches):  # Iterator ops, not DatasetReduce: cheaper per TFF client.
        with tf.GradientTape() as tape:
            loss = loss_of_batch(batch)
        optimizer.apply(variables, tape.gradient(loss, variables))
        steps += 1
    return steps


def interpolate(global_value: Any, fine_tuned_value: Any, interpolation: float) -> Any:
    """`global + interpolation * (fine_tuned - global)`, for numpy arrays or tensors."""
    return global_value + interpolation * (fine_tuned_value - global_value)


def fine_tune(model: tf.keras.Model, dataset: tf.data.Dataset,
              config: PersonalizationConfig) -> None:
    """Fine-tunes `model` (from `model.network.build_model`) in place on `dataset`, the
    device's unbatched `(inputs, targets)` examples, with `config`'s optimizer, epochs and
    trainable layers. Interpolation is the caller's (`personalize`)."""
    variables = trainable_variables(model.trainable_variables, config.trainable)
    optimizer = LocalOptimizer([v.shape for v in variables], optimizer=config.optimizer,
                               learning_rate=config.learning_rate)
    loss_fn = next_word_loss()

    def loss_of_batch(batch: Batch) -> tf.Tensor:
        inputs, targets = batch
        return loss_fn(targets, model(inputs, training=True))

    batches = training_batches(dataset, config)
    tf.function(lambda: train_variables(variables, batches, loss_of_batch, optimizer))()


def personalize(global_weights: dict[str, np.ndarray], model_config: ModelConfig,
                vocab: Vocabulary, messages: Sequence[str],
                config: PersonalizationConfig) -> dict[str, np.ndarray]:
    """Returns the device's personal weights, by variable name (`keras_io.weights_by_name`).

    `messages` are the device's, oldest first; the newest `config.max_messages` are encoded
    as training encodes them (`model.sequences.to_examples`). With fewer than
    `config.min_messages` messages (or none with a word), the personal weights are a copy of
    the global ones. `global_weights` is left untouched.
    """
    if vocab.size != model_config.vocab_size:
        raise ValueError(f"the vocabulary has {vocab.size} ids but the model "
                         f"{model_config.vocab_size}: they come from different exports")
    inputs, targets = to_examples(messages[-config.max_messages:], vocab,
                                  max_words=model_config.max_words)
    if len(messages) < config.min_messages or len(inputs) == 0:
        return {name: np.array(value) for name, value in global_weights.items()}
    model = build_model(model_config, seed=config.seed)
    assign_weights(model, global_weights)
    fine_tune(model, tf.data.Dataset.from_tensor_slices((inputs, targets)), config)
    return {name: interpolate(global_weights[name], value, config.interpolation)
            for name, value in weights_by_name(model).items()}
