"""Model-update boosting inside the TFF process: malicious clients scale their updates.

The boost factor travels with each client's data: every batch carries it as a third element
(1.0 for honest clients), so the server-side code never learns who is malicious, as in a real
attack. The client work strips the factor before the model sees a batch, runs TFF's standard
model-delta client work (the one `build_weighted_fed_avg` uses), and multiplies the resulting
update by the factor. The learning process is composed from the same parts as
`tff.learning.algorithms.build_weighted_fed_avg` (broadcast, client work, aggregator,
apply-optimizer finalizer), so its state has the same structure and checkpoints alike.

Built only when an attack boosts (`uses_boosting`): other runs use `build_weighted_fed_avg`
itself and compute exactly what they did before attacks existed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff

from federated.learning.options import OptimizerConfig
from federated.learning.processes import LOOP, server_optimizer
from federated.simulation.options import AttackConfig


def uses_boosting(attack: AttackConfig, malicious_clients: int) -> bool:
    """Whether the run needs the boosting process (some client scales its update)."""
    return malicious_clients > 0 and attack.boost_factor != 1


def with_boost(dataset: tf.data.Dataset, factor: float) -> tf.data.Dataset:
    """Adds the client's boost factor to every batch `(inputs, targets)`."""
    return dataset.map(lambda inputs, targets: (inputs, targets, tf.constant(factor, tf.float32)))


def build_boosting_client_work(
    model_fn: Callable[[], tff.learning.models.VariableModel],
    optimizers: OptimizerConfig,
) -> tff.learning.templates.ClientWorkProcess:
    """Model-delta client work on `(inputs, targets, boost)` batches; the update is scaled by
    the client's boost factor, its weight (examples) is left as it is."""
    honest = tff.learning.templates.build_model_delta_client_work(
        model_fn, tff.learning.optimizers.build_sgdm(optimizers.client_learning_rate),
        tff.learning.ClientWeighting.NUM_EXAMPLES, loop_implementation=LOOP)
    state_type, weights_type, data_type = honest.next.type_signature.parameter
    batch_type = data_type.member.element
    boosted_data_type = tff.SequenceType(
        tff.StructType([*batch_type, tff.TensorType(np.float32)]))
    result_type = honest.next.type_signature.result.result.member

    @tff.tensorflow.computation(boosted_data_type)
    def model_batches(dataset):
        return dataset.map(lambda inputs, targets, _: (inputs, targets))

    @tff.tensorflow.computation(boosted_data_type)
    def boost_factor(dataset):
        return dataset.take(1).reduce(tf.constant(1.0), lambda _, batch: batch[2])

    @tff.tensorflow.computation(result_type, tff.TensorType(np.float32))
    def scale(result, factor):
        return tff.learning.templates.ClientResult(
            update=tf.nest.map_structure(lambda u: u * factor, result.update),
            update_weight=result.update_weight)

    @tff.federated_computation(state_type, weights_type,
                               tff.FederatedType(boosted_data_type, tff.CLIENTS))
    def next_fn(state, weights, client_data):
        output = honest.next(state, weights, tff.federated_map(model_batches, client_data))
        boosted = tff.federated_map(
            scale, (output.result, tff.federated_map(boost_factor, client_data)))
        return tff.templates.MeasuredProcessOutput(output.state, boosted, output.measurements)

    return tff.learning.templates.ClientWorkProcess(
        honest.initialize, next_fn, get_hparams_fn=honest.get_hparams,
        set_hparams_fn=honest.set_hparams)


def build_boosting_process(
    model_fn: Callable[[], tff.learning.models.VariableModel],
    optimizers: OptimizerConfig,
    *,
    aggregator: tff.aggregators.WeightedAggregationFactory,
) -> tff.learning.templates.LearningProcess:
    """`build_training_process`'s FedAvg, on client data that carries boost factors."""

    @tff.tensorflow.computation
    def initial_model_weights():
        return tff.learning.models.ModelWeights.from_model(model_fn())

    weights_type = initial_model_weights.type_signature.result
    return tff.learning.templates.compose_learning_process(
        initial_model_weights,
        tff.learning.templates.build_broadcast_process(weights_type),
        build_boosting_client_work(model_fn, optimizers),
        aggregator.create(weights_type.trainable, tff.TensorType(np.float32)),
        tff.learning.templates.build_apply_optimizer_finalizer(
            server_optimizer(optimizers), weights_type))
