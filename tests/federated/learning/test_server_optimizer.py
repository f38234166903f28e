"""The server optimizer's learning-rate schedule (TFF's optimizer, run eagerly). Marked slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow as tf  # noqa: E402

from federated.learning.options import OptimizerConfig  # noqa: E402
from federated.learning.processes import server_optimizer  # noqa: E402

pytestmark = pytest.mark.slow


def steps_taken(config: OptimizerConfig, rounds: int) -> list[float]:
    """How far each of `rounds` server steps moves a weight whose update is always 1."""
    optimizer = server_optimizer(config)
    weights = (tf.constant([0.0]),)
    state = optimizer.initialize(tf.nest.map_structure(tf.TensorSpec.from_tensor, weights))
    moves = []
    for _ in range(rounds):
        state, new_weights = optimizer.next(state, weights, (tf.constant([1.0]),))
        moves.append(float(weights[0][0] - new_weights[0][0]))
        weights = new_weights
    return moves


def test_the_server_learning_rate_halves_every_half_life_from_the_first_round():
    plain_sgd = OptimizerConfig(server_optimizer="sgdm", server_learning_rate=0.8,
                                server_momentum=0.0)

    np.testing.assert_allclose(steps_taken(plain_sgd, 3), [0.8, 0.8, 0.8], rtol=1e-6)
    halving = OptimizerConfig(server_optimizer="sgdm", server_learning_rate=0.8,
                              server_momentum=0.0, server_lr_half_life=2)
    np.testing.assert_allclose(steps_taken(halving, 5), 0.8 * 0.5 ** (np.arange(5) / 2),
                               rtol=1e-6)
