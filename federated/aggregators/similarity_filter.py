"""Leaves out clients that collude: updates that point the same unusual way. A filter in the
spirit of FoolsGold (Fung et al. 2020, "The limitations of federated learning in sybil
settings"), which spots attackers by how alike their updates are.

Backdoor attackers all teach the same thing (their trigger, then their target), so their
updates share a direction that honest, non-IID clients do not (docs/attacks.md has the
similarities measured on the demo data).

Per round, on every client's update (`federated.aggregators.update_stack`):
1. Each update is scaled to unit length, and the round's mean unit update is subtracted:
   what all clients learn alike (strong early in training). What is left, scaled to unit
   length, is the client's *direction*. (A coordinate-wise median instead of the mean left
   part of the common direction in every honest update on the demo data: honest clients
   looked alike, and the backdoor got in.)
2. Each client gets two scores: its *peer score*, the highest cosine similarity between its
   direction and another client's of the round; and its *memory score*, its similarity to
   the direction of the clients left out in earlier rounds (the *memory*), so that a lone
   attacker in a round is still recognised.
3. A client is left out when either score is an outlier among the round's: more than
   `OUTLIER_MADS` median absolute deviations above the median of that score. In a round of
   fewer than `MIN_CLIENTS` nobody is.
4. The kept clients' updates are averaged, weighted as FedAvg weighs them (by examples).
5. The memory moves halfway towards the mean direction of the clients left out this round.

An honest client left out costs the round a little data. A false alarm in the memory fades
as later rounds' outliers replace it, but an honest user whose phone trains round after
round looks like itself: once left out, the memory may keep leaving it out (seen in a toy
world where every client trains every round; with a few of hundreds sampled per round, a
user comes back rarely). The filter's blind spot is the attacker who works alone, or who
adds noise to look unlike its accomplices: it catches coordination, not malice.
"""

from __future__ import annotations

import collections

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff

from federated.aggregators.coordinate_wise import coordinate_median
from federated.aggregators.measurements import LEFT_OUT
from federated.aggregators.update_stack import UpdateStack

OUTLIER_MADS = 4.0
# A floor on the median absolute deviation of the scores, in cosine units: when nearly all
# scores are equal, a tiny difference is not an outlier.
MIN_MAD = 0.01
MIN_CLIENTS = 3
MEMORY_DECAY = 0.5


def directions(updates: tf.Tensor) -> tf.Tensor:
    """Each row's unit vector minus the rows' mean unit vector, scaled to unit length (a zero
    row's stays near zero)."""
    unit = tf.math.l2_normalize(updates, axis=1)
    return tf.math.l2_normalize(unit - tf.reduce_mean(unit, axis=0, keepdims=True), axis=1)


def peer_scores(client_directions: tf.Tensor) -> tf.Tensor:
    """Each client's highest cosine similarity to another client's direction (-1 alone)."""
    count = tf.shape(client_directions)[0]
    similarity = tf.linalg.set_diag(
        tf.matmul(client_directions, client_directions, transpose_b=True),
        tf.fill([count], tf.constant(-1.0, client_directions.dtype)))
    return tf.reduce_max(similarity, axis=1)


def memory_scores(client_directions: tf.Tensor, memory: tf.Tensor) -> tf.Tensor:
    """Each client's cosine similarity to the memory (0 while it is empty)."""
    return tf.linalg.matvec(client_directions, tf.math.l2_normalize(memory))


def outliers(scores: tf.Tensor) -> tf.Tensor:
    """Which scores lie more than `OUTLIER_MADS` median absolute deviations (at least
    `MIN_MAD`) above the median; none when there are fewer than `MIN_CLIENTS`."""
    median = coordinate_median(scores)
    spread = tf.maximum(coordinate_median(tf.abs(scores - median)), MIN_MAD)
    return (scores > median + OUTLIER_MADS * spread) & (tf.size(scores) >= MIN_CLIENTS)


def filter_round(updates: tf.Tensor, weights: tf.Tensor, memory: tf.Tensor
                 ) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """One round of the filter on flattened updates `[clients, parameters]` (at least one).

    Returns:
        The weighted mean of the kept updates `[parameters]`, which clients were left out
        `[clients]`, and the new memory.
    """
    client_directions = directions(updates)
    left_out = (outliers(peer_scores(client_directions))
                | outliers(memory_scores(client_directions, memory)))
    kept_weights = tf.where(left_out, tf.zeros_like(weights), weights)
    mean = tf.math.divide_no_nan(tf.linalg.matvec(updates, kept_weights, transpose_a=True),
                                 tf.reduce_sum(kept_weights))
    memory = tf.cond(
        tf.reduce_any(left_out),
        lambda: MEMORY_DECAY * memory + (1 - MEMORY_DECAY) * tf.math.l2_normalize(
            tf.reduce_sum(tf.boolean_mask(client_directions, left_out), axis=0)),
        lambda: memory)
    return mean, left_out, memory


class SimilarityFilterFactory(tff.aggregators.WeightedAggregationFactory):
    """The weighted mean of client updates, leaving out those that collude.

    State: the memory (one vector of the update's size). Measurements: `{"left_out": n}`,
    the number of clients left out this round.
    """

    def create(self, value_type: tff.types.Type,
               weight_type: tff.types.Type) -> tff.templates.AggregationProcess:
        stack = UpdateStack(value_type, weight_type)
        value_specs = tff.types.type_to_tf_tensor_specs(value_type)
        sizes = [int(np.prod(spec.shape)) for spec in tf.nest.flatten(value_specs)]
        memory_spec = tf.TensorSpec([sum(sizes)], tf.float32)

        @tff.tensorflow.computation
        def empty_memory():
            return tf.zeros(memory_spec.shape, memory_spec.dtype)

        @tff.tensorflow.computation(memory_spec, stack.type)
        def aggregate(memory, stacked):
            values, weights = stacked
            rows = tf.nest.flatten(values)
            count = tf.shape(weights)[0]

            def filtered():
                updates = tf.concat([tf.reshape(tf.cast(r, tf.float32), [count, -1])
                                     for r in rows], axis=1)
                mean, left_out, new_memory = filter_round(
                    updates, tf.cast(weights, tf.float32), memory)
                return mean, tf.reduce_sum(tf.cast(left_out, tf.int32)), new_memory

            mean, left_out, memory = tf.cond(
                count > 0, filtered,
                lambda: (tf.zeros(memory_spec.shape), tf.constant(0), memory))
            parts = tf.split(mean, sizes)
            result = tf.nest.pack_sequence_as(value_specs, [
                tf.cast(tf.reshape(part, spec.shape), spec.dtype)
                for part, spec in zip(parts, tf.nest.flatten(value_specs))])
            return memory, result, collections.OrderedDict([(LEFT_OUT, left_out)])

        @tff.federated_computation
        def init_fn():
            return tff.federated_eval(empty_memory, tff.SERVER)

        @tff.federated_computation(
            init_fn.type_signature.result,
            tff.FederatedType(value_type, tff.CLIENTS),
            tff.FederatedType(weight_type, tff.CLIENTS))
        def next_fn(memory, value, weight):
            output = tff.federated_map(
                aggregate, tff.federated_zip((memory, stack.collect(value, weight))))
            return tff.templates.MeasuredProcessOutput(state=output[0], result=output[1],
                                                       measurements=output[2])

        return tff.templates.AggregationProcess(init_fn, next_fn)

