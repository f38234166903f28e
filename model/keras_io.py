"""Keras weights to and from the export's name -> array mapping."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from model.export import WEIGHTS_FILE, ExportError, ExportInfo
from model.network import build_model


def weights_by_name(model: tf.keras.Model) -> dict[str, np.ndarray]:
    """Returns every model variable's value, keyed by its variable name."""
    return {variable.name: variable.numpy() for variable in model.weights}


def assign_weights(model: tf.keras.Model, weights: dict[str, np.ndarray]) -> None:
    """Sets `model`'s variables from `weights`, which must match them name for name."""
    names = {variable.name for variable in model.weights}
    if names != set(weights):
        raise ExportError(f"weights do not fit the model: missing {sorted(names - set(weights))}"
                          f", unexpected {sorted(set(weights) - names)}")
    for variable in model.weights:
        if tuple(variable.shape) != weights[variable.name].shape:
            raise ExportError(f"{variable.name}: shape {weights[variable.name].shape} does not "
                              f"fit the model's {tuple(variable.shape)}")
        variable.assign(weights[variable.name])


def load_keras_model(info: ExportInfo) -> tf.keras.Model:
    """Rebuilds the exported Keras model with its weights."""
    model = build_model(info.model_config, seed=0)
    with np.load(info.directory / WEIGHTS_FILE) as stored:
        assign_weights(model, {name: stored[name] for name in stored.files})
    return model
