"""Query-suggestion impressions as TFF client data, and the triggering model's model function.

Each training user's impression log becomes one client dataset of padded feature rows
(`model.triggering_training.log_examples`: every impression sees only the same user's earlier
ones, as the phone would) and 0/1 tap labels. Batches are
``({"indices": int32 [b, n], "values": float32 [b, n]}, labels float32 [b, 1])``; `n` varies
between clients (each is padded to its own longest row), which the element spec leaves open.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff

from data.impressions import ImpressionRecord
from federated.learning.client_data import Examples
from model.triggering import TriggeringConfig
from model.triggering_network import (
    INDICES,
    VALUES,
    build_triggering_network,
    triggering_loss,
)
from model.triggering_training import FeatureMatrix, log_examples


def impression_element_spec() -> tuple[dict[str, tf.TensorSpec], tf.TensorSpec]:
    """The batch structure every impression dataset yields."""
    return ({INDICES: tf.TensorSpec(shape=[None, None], dtype=tf.int32),
             VALUES: tf.TensorSpec(shape=[None, None], dtype=tf.float32)},
            tf.TensorSpec(shape=[None, 1], dtype=tf.float32))


def user_logs(impressions_by_user: Mapping[str, Sequence[ImpressionRecord]],
              config: TriggeringConfig) -> dict[str, tuple[FeatureMatrix, np.ndarray]]:
    """Each user's features and 0/1 labels, in log order; users without impressions are left
    out."""
    return {user: log_examples(impressions, config)
            for user, impressions in impressions_by_user.items() if impressions}


def padded_examples(logs: Mapping[str, tuple[FeatureMatrix, np.ndarray]]
                    ) -> dict[str, Examples]:
    """`user_logs` as client examples: padded feature arrays by input name, labels
    ``[n, 1]`` float32."""
    examples = {}
    for user, (matrix, labels) in logs.items():
        indices, values = matrix.padded()
        examples[user] = ({INDICES: indices, VALUES: values},
                          labels.astype(np.float32).reshape(-1, 1))
    return examples


def make_triggering_model_fn(
    buckets: int, *, initial_bias: float
) -> Callable[[], tff.learning.models.VariableModel]:
    """The zero-argument model factory of `build_training_process` for the triggering model
    (weights start at 0, the bias at `initial_bias`: no random initialization)."""
    spec = impression_element_spec()

    def model_fn() -> tff.learning.models.VariableModel:
        return tff.learning.models.from_keras_model(
            build_triggering_network(buckets, initial_bias=initial_bias),
            loss=triggering_loss(), input_spec=spec)

    return model_fn
