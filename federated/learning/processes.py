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


def halving(initial: float, half_life: int) -> Callable[[tf.Tensor], tf.Tensor]:
    """The learning rate `initial` x 0.5 ** (round / `half_life`), as TF computes it."""
    return lambda round_index: initial * tf.pow(
        0.5, tf.cast(round_index, tf.float32) / float(half_life))


def server_optimizer(config: OptimizerConfig) -> tff.learning.optimizers.Optimizer:
    """The server optimizer that applies the averaged client update, its learning rate
    halving every `server_lr_half_life` rounds when that is set (TFF's own scheduling)."""
    if config.server_optimizer == "adam":
        optimizer = tff.learning.optimizers.build_adam(
            config.server_learning_rate, epsilon=config.server_epsilon)
    elif config.server_optimizer == "yogi":
        optimizer = tff.learning.optimizers.build_yogi(
            config.server_learning_rate, epsilon=config.server_epsilon)
    else:
        optimizer = tff.learning.optimizers.build_sgdm(
            config.server_learning_rate, momentum=config.server_momentum)
    if not config.server_lr_half_life:
        return optimizer
    return tff.learning.optimizers.schedule_learning_rate(
        optimizer, halving(config.server_learning_rate, config.server_lr_half_life))


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
    are summed securely when `privacy` sums updates securely. A client learning rate that
    halves over rounds is TFF's `build_weighted_fed_avg_with_optimizer_schedule`, which has
    no unweighted form: the settings refuse it with DP (`check_private_training`).
    """
    quiet_tracing_noise()
    common = dict(server_optimizer_fn=server_optimizer(optimizers), model_aggregator=aggregator,
                  metrics_aggregator=metrics_aggregator(privacy), loop_implementation=LOOP)
    if optimizers.client_lr_half_life:
        return tff.learning.algorithms.build_weighted_fed_avg_with_optimizer_schedule(
            model_fn,
            client_learning_rate_fn=halving(optimizers.client_learning_rate,
                                            optimizers.client_lr_half_life),
            client_optimizer_fn=tff.learning.optimizers.build_sgdm, **common)
    build = (tff.learning.algorithms.build_unweighted_fed_avg if privacy.dp
             else tff.learning.algorithms.build_weighted_fed_avg)
    return build(model_fn, client_optimizer_fn=tff.learning.optimizers.build_sgdm(
        optimizers.client_learning_rate), **common)


def build_evaluation_process(
    model_fn: Callable[[], tff.learning.models.VariableModel],
) -> tff.learning.templates.LearningProcess:
    """Federated evaluation: held-out clients score the model they are sent."""
    return tff.learning.algorithms.build_fed_eval(model_fn, loop_implementation=LOOP)
