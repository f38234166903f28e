"""Federated evaluation of personalization (Wang et al. 2019) as a TFF computation.

Built with TFF 0.87's `tff.learning.algorithms.build_personalization_eval_computation`: the
server broadcasts the global weights; each client scores them on its newer messages,
fine-tunes a copy on its older ones with every strategy of the grid (`model.personalization`'s
loop, the one the keyboard runs), scores each interpolation between the two, and returns
counts only: hits and scored words, with and without its word cache, and how many messages
it holds. Every score is of the model as the keyboard serves it: the network interpolated with
the export's n-gram at the export's weight (`model.interpolation`; the n-gram's
log-probabilities at each scored position travel with the newer messages, as the cache's
predictions do). TFF's reservoir sampling brings those per-client scalars to the server; no
weights leave a client (`metrics_only`, checked by the tests).

The word cache (pure Python, `model.word_cache`) runs where the client's data is prepared: its
first suggestion at every position of the newer messages travels with them as two inputs of
the model (`cache_probability`, `cache_hit`) which the network ignores and the scoring reads.
"""

from __future__ import annotations

import collections
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff

from federated.learning.client_data import Examples
from model.config import ModelConfig
from model.keras_io import assign_weights
from model.metrics import scored_positions, top_k_hits
from model.network import build_model, next_word_loss
from model.personalization import (
    TRAINABLE_LAYERS,
    LocalOptimizer,
    PersonalizationConfig,
    interpolate,
    train_variables,
    trainable_variables,
    training_batches,
)
from model.vocab import NUM_SPECIAL_TOKENS

IDS, CACHE_PROBABILITY, CACHE_HIT = "ids", "cache_probability", "cache_hit"
NGRAM = "ngram_log_probability"  # [positions, vocabulary] on scored messages, else [.., 1].
SIZES = "sizes"  # The pseudo-strategy that reports how many messages a client holds.
BASELINE = "baseline_metrics"  # TFF's key for the global model's metrics.
_EVAL_BATCH = 64


def strategy_key(index: int) -> str:
    return f"strategy_{index:02d}"


def interpolation_key(index: int) -> str:
    return f"interpolation_{index:02d}"


def element_spec(sequence_length: int) -> collections.OrderedDict:
    """The batch structure of the evaluation's client data: ids, the cache's predictions and
    the n-gram's log-probabilities as `x`, next-word targets as `y`, all `[batch,
    sequence_length]` but the n-gram's `[batch, sequence_length, vocabulary or 1]` (1 where
    nothing is scored: the messages fine-tuned on, or an export without an n-gram)."""
    def spec(dtype, *more):
        return tf.TensorSpec([None, sequence_length, *more], dtype)

    return collections.OrderedDict(
        x=collections.OrderedDict([(IDS, spec(tf.int32)), (CACHE_PROBABILITY, spec(tf.float32)),
                                   (CACHE_HIT, spec(tf.float32)),
                                   (NGRAM, spec(tf.float32, None))]),
        y=spec(tf.int32))


def make_model_fn(model_config: ModelConfig, *, seed: int
                  ) -> Callable[[], tff.learning.models.VariableModel]:
    """The next-word network (the same variables as `build_model`'s, in the same order) taking
    `element_spec`'s `x`: it reads the ids and passes the cache's inputs by."""
    spec = element_spec(model_config.sequence_length)

    def model_fn() -> tff.learning.models.VariableModel:
        network = build_model(model_config, seed=seed)
        inputs = {name: tf.keras.Input(shape=(None, *tensor.shape[2:]), dtype=tensor.dtype,
                                       name=name)
                  for name, tensor in spec["x"].items()}
        wrapper = tf.keras.Model(inputs=inputs, outputs=network(inputs[IDS]))
        return tff.learning.models.from_keras_model(wrapper, loss=next_word_loss(),
                                                    input_spec=spec)

    return model_fn


def global_weights(model_config: ModelConfig, weights: Mapping[str, np.ndarray]
                   ) -> tuple[tff.learning.models.ModelWeights, dict[str, list[list[int]]]]:
    """The export's weights (by name) in the order of `make_model_fn`'s variables, and the
    shapes of the variables each `trainable` choice trains.

    Builds an eager Keras model: call it before tracing any TFF computation in the process.
    """
    network = build_model(model_config, seed=0)
    assign_weights(network, dict(weights))
    shapes = {choice: [v.shape.as_list() for v in trainable_variables(
        network.trainable_variables, choice)] for choice in TRAINABLE_LAYERS}
    return tff.learning.models.ModelWeights(
        trainable=[v.numpy() for v in network.trainable_variables],
        non_trainable=[v.numpy() for v in network.non_trainable_variables]), shapes


def client_input(personal: Examples, scored: Examples, cache_probability: np.ndarray,
                 cache_hit: np.ndarray, ngram_log_probability: Optional[np.ndarray]
                 ) -> collections.OrderedDict:
    """One client's data: `personal` (older) examples to fine-tune on, `scored` (newer) ones
    with the cache's predictions and the n-gram's log-probabilities (`[messages, positions,
    vocabulary]`; None: the export has no n-gram) at each of their positions, as unbatched
    datasets."""
    def dataset(examples: Examples, probability: np.ndarray, hit: np.ndarray,
                ngram: Optional[np.ndarray]):
        inputs, targets = examples
        if ngram is None:
            ngram = np.zeros((*inputs.shape, 1), dtype=np.float32)
        return tf.data.Dataset.from_tensor_slices(collections.OrderedDict(
            x=collections.OrderedDict([(IDS, inputs), (CACHE_PROBABILITY, probability),
                                       (CACHE_HIT, hit.astype(np.float32)),
                                       (NGRAM, ngram.astype(np.float32, copy=False))]),
            y=targets))

    no_cache = np.zeros(personal[1].shape, dtype=np.float32)
    return collections.OrderedDict(
        train_data=dataset(personal, no_cache, no_cache, None),
        test_data=dataset(scored, cache_probability.astype(np.float32), cache_hit,
                          ngram_log_probability))


def served_probabilities(logits: tf.Tensor, ngram_log_probability: tf.Tensor,
                         network_weight: float) -> tf.Tensor:
    """The next-word probabilities the keyboard serves: softmax(logits) mixed with the
    n-gram's at `network_weight` (`model.interpolation.interpolate`, in TensorFlow)."""
    probabilities = tf.nn.softmax(logits)
    if network_weight == 1:
        return probabilities
    # A client input without the n-gram (its placeholder is one column wide) would shift every
    # probability by 1 - network_weight without a word: refuse it.
    tf.debugging.assert_equal(tf.shape(ngram_log_probability)[-1], tf.shape(logits)[-1],
                              message="the n-gram's log-probabilities are missing")
    return (network_weight * probabilities
            + (1 - network_weight) * tf.exp(ngram_log_probability))


def recall_counts(model: tff.learning.models.VariableModel, test_data: tf.data.Dataset,
                   network_weight: float) -> collections.OrderedDict:
    """Top-1 hits and scored words of `model` as served on `test_data` (`model.metrics`'
    masking), and the hits when the cache's first word replaces the served first word
    wherever it is likelier: the first slot of `model.word_cache.mix_suggestions`."""
    def add_batch(totals, batch):
        logits = model.predict_on_batch(batch["x"], training=False)
        probabilities = served_probabilities(logits, batch["x"][NGRAM], network_weight)
        targets = batch["y"]
        scored = scored_positions(targets, exclude_oov=False)
        # Ranked by the logits when the network is served alone, as the keyboard ranks them.
        model_hit = top_k_hits(targets, logits if network_weight == 1 else probabilities, k=1)
        best = tf.reduce_max(probabilities[..., NUM_SPECIAL_TOKENS:], axis=-1)
        cache_hit = batch["x"][CACHE_HIT] > 0.5
        mixed_hit = tf.where(batch["x"][CACHE_PROBABILITY] > best, cache_hit, model_hit)
        return tuple(total + tf.reduce_sum(tf.cast(tf.logical_and(scored, hit), tf.float32))
                     for total, hit in zip(totals, (model_hit, mixed_hit, scored)))

    totals = (tf.constant(0.0), tf.constant(0.0), tf.constant(0.0))
    for batch in iter(test_data.batch(_EVAL_BATCH)):  # Iterator ops: see `_count`.
        totals = add_batch(totals, batch)
    hits, hits_with_cache, words = totals
    return collections.OrderedDict(top1_hits=hits, top1_hits_with_cache=hits_with_cache,
                                   scored_words=words)


def _personalize_fn_builder(config: PersonalizationConfig, shapes: Sequence[Sequence[int]],
                            interpolations: Sequence[float], network_weight: float
                            ) -> Callable[[], Callable]:
    """The builder TFF calls once per graph: an optimizer and a `tf.function` that fine-tunes
    the client's model and scores each interpolation."""
    def build():
        optimizer = LocalOptimizer(shapes, optimizer=config.optimizer,
                                   learning_rate=config.learning_rate)

        @tf.function
        def personalize(model, train_data, test_data):
            variables = trainable_variables(model.trainable_variables, config.trainable)
            start = [tf.identity(v) for v in variables]
            train_variables(variables, training_batches(train_data, config),
                            lambda batch: model.forward_pass(batch, training=True).loss,
                            optimizer)
            tuned = [tf.identity(v) for v in variables]
            metrics = collections.OrderedDict()
            for index, weight in enumerate(interpolations):
                for variable, first, last in zip(variables, start, tuned):
                    variable.assign(interpolate(first, last, weight))
                metrics[interpolation_key(index)] = recall_counts(model, test_data,
                                                                  network_weight)
            return metrics

        return personalize

    return build


def _count(dataset: tf.data.Dataset) -> tf.Tensor:
    """The dataset's elements. Loops iterate (`iter`) rather than reduce: the DatasetReduce op
    costs the TFF worker much more per client call (as `federated.learning.processes.LOOP`)."""
    total = tf.constant(0.0)
    for _ in iter(dataset):
        total += 1.0
    return total


def _count_sizes(model, train_data, test_data) -> collections.OrderedDict:
    del model
    return collections.OrderedDict(personal_messages=_count(train_data),
                                   scored_messages=_count(test_data))


def build_personalization_eval(model_fn: Callable[[], tff.learning.models.VariableModel],
                               strategies: Sequence[PersonalizationConfig],
                               interpolations: Sequence[float], *,
                               trainable_shapes: Mapping[str, Sequence[Sequence[int]]],
                               network_weight: float, max_clients: int) -> tff.Computation:
    """The computation `(global weights @SERVER, client data @CLIENTS) -> per-client metrics
    @SERVER`, each metric a list with one value per client (the same client at the same
    index, at most `max_clients` sampled).

    Args:
        model_fn: `make_model_fn`'s factory.
        strategies: fine-tuning settings (their `interpolation` is ignored): the result's
            `strategy_key(i)` holds strategy i's metrics at `interpolation_key(j)` for
            `interpolations[j]`.
        interpolations: the weights of the fine-tuned model scored, each in [0, 1].
        trainable_shapes: by `trainable` choice, the shapes of the variables it trains
            (for the optimizer's slots).
        network_weight: the export's weight of the network against its n-gram (1: none):
            every model is scored as the keyboard serves it.
        max_clients: clients whose metrics reach the server.
    """
    if not strategies or not interpolations:
        raise ValueError("need at least one strategy and one interpolation")
    if any(not 0.0 <= weight <= 1.0 for weight in interpolations):
        raise ValueError(f"interpolations must be in [0, 1], got {list(interpolations)}")
    builders: collections.OrderedDict[str, Any] = collections.OrderedDict()
    for index, config in enumerate(strategies):
        builders[strategy_key(index)] = _personalize_fn_builder(
            config, trainable_shapes[config.trainable], interpolations, network_weight)
    builders[SIZES] = lambda: tf.function(_count_sizes)
    return tff.learning.algorithms.build_personalization_eval_computation(
        model_fn, builders, baseline_evaluate_fn=tf.function(
            functools.partial(recall_counts, network_weight=network_weight)),
        max_num_clients=max_clients)


def metrics_only(computation: tff.Computation) -> bool:
    """Whether `computation` returns only per-client scalars at the server: every leaf of its
    result is a float vector (one value per client), so no model weights can be in it."""
    result = computation.type_signature.result
    if not isinstance(result, tff.FederatedType) or result.placement is not tff.SERVER:
        return False
    leaves = tff.structure.flatten(result.member)
    return all(isinstance(leaf, tff.TensorType) and len(leaf.shape) == 1 for leaf in leaves)
