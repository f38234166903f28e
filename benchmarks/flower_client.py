"""The client side of `benchmarks.flower_peer`: what each Ray actor imports, once.

A module of its own so that Ray's actors import it by name and keep its state between calls:
Flower sends `client_fn` with every call, and anything in its closure is copied each time.
Each actor builds the Keras model once and fetches the clients' examples from Ray's object
store once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import flwr as fl
import ray
import tensorflow as tf

from model.config import ModelConfig
from model.network import build_model, next_word_loss

_ACTOR_STATE: dict[str, Any] = {}  # This actor's model and examples, built on first use.


@dataclass(frozen=True)
class ClientSetup:
    """What every client of the peer shares: small, as it travels with every call."""

    users: tuple[str, ...]  # Flower's partition id i is users[i].
    examples: Any  # A Ray ObjectRef to {user: (inputs, targets)}.
    model_config: ModelConfig
    seed: int
    dropout: float
    learning_rate: float
    batch_size: int

    def compiled_model(self) -> tf.keras.Model:
        model = build_model(self.model_config, seed=self.seed, dropout=self.dropout)
        model.compile(optimizer=tf.keras.optimizers.SGD(self.learning_rate),
                      loss=next_word_loss())
        return model


class KeyboardClient(fl.client.NumPyClient):
    """One phone: one local epoch of SGD on its examples, from the server's weights."""

    def __init__(self, setup: ClientSetup, user: str):
        self.setup = setup
        self.user = user

    def fit(self, parameters, config):
        if not _ACTOR_STATE:
            _ACTOR_STATE["model"] = self.setup.compiled_model()
            _ACTOR_STATE["examples"] = ray.get(self.setup.examples)
        model = _ACTOR_STATE["model"]
        model.set_weights(parameters)
        inputs, targets = _ACTOR_STATE["examples"][self.user]
        model.fit(inputs, targets, batch_size=self.setup.batch_size, epochs=1, shuffle=True,
                  verbose=0)
        return model.get_weights(), len(targets), {}


def client_fn_for(setup: ClientSetup) -> Callable[[Any], fl.client.Client]:
    """Flower's `client_fn`: the client of the context's partition."""
    def client_fn(context) -> fl.client.Client:
        user = setup.users[int(context.node_config["partition-id"])]
        return KeyboardClient(setup, user).to_client()

    return client_fn
