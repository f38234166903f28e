"""TFF wiring: the model function, the FedAvg learning process and federated evaluation."""

from __future__ import annotations

import logging
from collections.abc import Callable

import tensorflow as tf
import tensorflow_federated as tff

from federated.aggregators.model_update import Factory, metrics_aggregator
from federated.learning.client_data import element_spec
from federated.learning.options import OptimizerConfig
from federated.privacy.options import PrivacyConfig
from model.config import ModelConfig
from model.metrics import keyboard_metric_builders
from model.network import build_model, next_word_loss

# Iterating the client dataset with iterator ops instead of the default DatasetReduce op cuts
# the worker's fixed cost per client call on CPU (benchmarks/round_vs_central.py), which
# dominates a round when phones hold a few dozen messages.
LOOP = tff.learning.LoopImplementation.DATASET_ITERATOR


def make_model_fn(
    model_config: ModelConfig, *, seed: int, dropout: float = 0.0
) -> Callable[[], tff.learning.models.VariableModel]:
    """Returns the zero-argument model factory TFF calls whenever it needs a fresh model
    (`dropout`: see `model.network.build_model`; clients train with it, evaluation not)."""
    spec = element_spec(model_config.sequence_length)

    def model_fn() -> tff.learning.models.VariableModel:
        return tff.learning.models.from_keras_model(
            build_model(model_config, seed=seed, dropout=dropout), loss=next_word_loss(),
            input_spec=spec, metrics=keyboard_metric_builders())

    return model_fn


def server_optimizer(config: OptimizerConfig) -> tff.learning.optimizers.Optimizer:
    """The server optimizer that applies the averaged client update."""
    if config.server_optimizer == "adam":
        return tff.learning.optimizers.build_adam(
            config.server_learning_rate, epsilon=config.server_epsilon)
    if config.server_optimizer == "yogi":
        return tff.learning.optimizers.build_yogi(
            config.server_learning_rate, epsilon=config.server_epsilon)
    return tff.learning.optimizers.build_sgdm(
        config.server_learning_rate, momentum=config.server_momentum)


class _QuietTracingNoise(logging.Filter):
    """Drops two messages that TFF's aggregators trigger on every trace: TF's "Object was
    never used" tracebacks about the range asserts of secure sums (hundreds of lines per
    run), and tensor_encoding's note on bit-packing to fewer than 8 bits."""

    NOISE = ("Object was never used", "This code path can temporarily allocate extra memory")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(noise in message for noise in self.NOISE)


_QUIET_TRACING_NOISE = _QuietTracingNoise()


def quiet_tracing_noise() -> None:
    """Filters TFF's tracing noise out of the logs (adding the filter twice is harmless)."""
    for logger in (logging.getLogger("tensorflow"), logging.getLogger()):
        logger.addFilter(_QUIET_TRACING_NOISE)


def update_specs(model_fn: Callable[[], tff.learning.models.VariableModel]
                 ) -> list[tf.TensorSpec]:
    """The specs of a model update (the trainable weights), which tree DP builds noise for."""
    return tff.types.type_to_tf_tensor_specs(
        tff.learning.models.weights_type_from_model(model_fn).trainable)


def build_training_process(
    model_fn: Callable[[], tff.learning.models.VariableModel],
    optimizers: OptimizerConfig,
    privacy: PrivacyConfig,
    *,
    aggregator: Factory,
) -> tff.learning.templates.LearningProcess:
    """FedAvg: plain SGD on clients, adaptive server optimizer, `aggregator` on the updates.

    Clients are weighted by their examples, except under differential privacy, which
    needs every user to weigh the same (`aggregator` is then unweighted); training metrics
    are summed securely when `privacy` sums updates securely.
    """
    quiet_tracing_noise()
    build = (tff.learning.algorithms.build_unweighted_fed_avg if privacy.dp
             else tff.learning.algorithms.build_weighted_fed_avg)
    return build(
        model_fn,
        client_optimizer_fn=tff.learning.optimizers.build_sgdm(
            optimizers.client_learning_rate),
        server_optimizer_fn=server_optimizer(optimizers),
        model_aggregator=aggregator,
        metrics_aggregator=metrics_aggregator(privacy),
        loop_implementation=LOOP,
    )


def build_evaluation_process(
    model_fn: Callable[[], tff.learning.models.VariableModel],
) -> tff.learning.templates.LearningProcess:
    """Federated evaluation: held-out clients score the model they are sent."""
    return tff.learning.algorithms.build_fed_eval(model_fn, loop_implementation=LOOP)
