"""TFF wiring: the model function, the FedAvg learning process and federated evaluation."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow_federated as tff

from federated.client_data import element_spec
from federated.config import OptimizerConfig
from federated.coordinate_aggregators import MEDIAN, TRIMMED_MEAN, CoordinateWiseFactory
from model.config import ModelConfig
from model.metrics import keyboard_metric_builders
from model.network import build_model, next_word_loss

# Iterating the client dataset with iterator ops instead of the default DatasetReduce op
# cuts the worker's fixed cost per client call about four-fold on CPU (benchmarks/
# round_vs_central.py): with ~50 messages per phone, that fixed cost dominated each round.
LOOP = tff.learning.LoopImplementation.DATASET_ITERATOR


def make_model_fn(
    model_config: ModelConfig, *, seed: int
) -> Callable[[], tff.learning.models.VariableModel]:
    """Returns the zero-argument model factory TFF calls whenever it needs a fresh model."""
    spec = element_spec(model_config.sequence_length)

    def model_fn() -> tff.learning.models.VariableModel:
        return tff.learning.models.from_keras_model(
            build_model(model_config, seed=seed), loss=next_word_loss(), input_spec=spec,
            metrics=keyboard_metric_builders())

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


def model_aggregator(name: str, *,
                     trim_fraction: float = 0.1) -> tff.aggregators.WeightedAggregationFactory:
    """The aggregator of client model updates named by `TrainConfig.aggregator`."""
    if name == "robust":
        return tff.learning.robust_aggregator(zeroing=True, clipping=True, weighted=True)
    if name in (MEDIAN, TRIMMED_MEAN):
        return CoordinateWiseFactory(name, trim_fraction=trim_fraction)
    return tff.aggregators.MeanFactory()


def build_training_process(
    model_fn: Callable[[], tff.learning.models.VariableModel],
    optimizers: OptimizerConfig,
    *,
    aggregator: tff.aggregators.WeightedAggregationFactory,
) -> tff.learning.templates.LearningProcess:
    """FedAvg weighted by client examples, plain SGD on clients, adaptive server optimizer."""
    return tff.learning.algorithms.build_weighted_fed_avg(
        model_fn,
        client_optimizer_fn=tff.learning.optimizers.build_sgdm(optimizers.client_learning_rate),
        server_optimizer_fn=server_optimizer(optimizers),
        model_aggregator=aggregator,
        loop_implementation=LOOP,
    )


def build_evaluation_process(
    model_fn: Callable[[], tff.learning.models.VariableModel],
) -> tff.learning.templates.LearningProcess:
    """Federated evaluation: held-out clients score the model they are sent."""
    return tff.learning.algorithms.build_fed_eval(model_fn, loop_implementation=LOOP)
