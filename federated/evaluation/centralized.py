"""The server-trained baseline: the same network trained on the pooled training users' data.

Hard et al. 2018 compare their federated CIFG with the same CIFG trained on the server
("server CIFG"). Ours processes as many examples as the federated run did in total (its
`train_examples`, local epochs included), shuffled with a seed, and is cached in
`RUN_DIR/report/centralized/` with what it was trained with, so a second report reuses it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf
from tqdm import tqdm

from model.config import ModelConfig
from model.keras_io import assign_weights, weights_by_name
from model.network import build_model, next_word_loss

WEIGHTS_FILE = "weights.npz"
TRAINED_WITH_FILE = "trained_with.json"


@dataclass(frozen=True)
class CentralizedConfig:
    """How the server baseline is trained (see `federated.report.config` for the choices).

    Attributes:
        examples: examples to process (the federated run's total `train_examples`).
        learning_rate: Adam's learning rate.
        batch_size: examples per step.
        seed: initialization and shuffling.
        dropout: the federated run's `model_dropout` (the same recipe on pooled data).
    """

    examples: int
    learning_rate: float
    batch_size: int
    seed: int
    dropout: float = 0.0

    def __post_init__(self):
        if self.examples < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError(f"need examples >= 1, batch size >= 1 and learning rate > 0, got "
                             f"{self.examples}, {self.batch_size}, {self.learning_rate}")

    @property
    def steps(self) -> int:
        return math.ceil(self.examples / self.batch_size)


def load_or_train(cache_dir: Path, model_config: ModelConfig, config: CentralizedConfig,
                  inputs: np.ndarray, targets: np.ndarray, *,
                  provenance: dict[str, Any]) -> tf.keras.Model:
    """Returns the cached baseline if it was trained with exactly these settings, else trains
    (and caches) a new one.

    Args:
        cache_dir: where the weights and `trained_with.json` live.
        model_config: the federated model's architecture.
        config: the training settings.
        inputs, targets: the pooled training examples.
        provenance: what else the weights depend on (e.g. the data hash); part of the key.
    """
    trained_with = {"model": dataclasses.asdict(model_config),
                    "training": dataclasses.asdict(config), "steps": config.steps,
                    "training_examples_available": len(inputs), **provenance}
    model = build_model(model_config, seed=config.seed, dropout=config.dropout)
    record = cache_dir / TRAINED_WITH_FILE
    if record.exists() and json.loads(record.read_text(encoding="utf-8")) == trained_with:
        with np.load(cache_dir / WEIGHTS_FILE) as stored:
            assign_weights(model, {name: stored[name] for name in stored.files})
        return model
    record.unlink(missing_ok=True)  # Never leave a record beside weights it does not describe.
    train(model, config, inputs, targets)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(cache_dir / WEIGHTS_FILE, **weights_by_name(model))
    # Written last: weights without their record are never mistaken for a finished run.
    record.write_text(json.dumps(trained_with, indent=2) + "\n", encoding="utf-8")
    return model


def train(model: tf.keras.Model, config: CentralizedConfig, inputs: np.ndarray,
          targets: np.ndarray) -> None:
    """Trains `model` in place for `config.steps` Adam steps, with a progress bar."""
    dataset = (tf.data.Dataset.from_tensor_slices((inputs, targets))
               .shuffle(len(inputs), seed=config.seed, reshuffle_each_iteration=True)
               .repeat().batch(config.batch_size).take(config.steps))
    optimizer = tf.keras.optimizers.Adam(config.learning_rate)
    loss_fn = next_word_loss()

    @tf.function
    def step(batch_inputs, batch_targets):
        with tf.GradientTape() as tape:
            loss = loss_fn(batch_targets, model(batch_inputs, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables),
                                      model.trainable_variables))
        return loss

    with tqdm(dataset, total=config.steps, desc="centralized baseline", unit="step",
              dynamic_ncols=True) as bar:
        for number, (batch_inputs, batch_targets) in enumerate(bar, start=1):
            loss = step(batch_inputs, batch_targets)
            if number % 50 == 0:
                bar.set_postfix(loss=f"{float(loss):.3f}")
