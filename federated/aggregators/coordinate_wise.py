"""Coordinate-wise median and trimmed mean of client updates, as `tff.aggregators` factories.

Both need every client's update at the server (`federated.aggregators.update_stack`). They
sort each coordinate across clients and take the median or the trimmed mean (Yin et al. 2018,
"Byzantine-robust distributed learning").

With a bucket size s > 1, the clients' updates are first averaged in buckets of s (in the
order they arrive: the round's sampled clients by id, so who shares a bucket is as random as
the sampling), and the statistic is taken over the bucket means (Karimireddy et al. 2022,
"Byzantine-robust learning on heterogeneous datasets via bucketing"). Averaging first shrinks
the spread between honest, non-IID clients, which a coordinate-wise statistic otherwise
mistakes for disagreement; a few attackers still spoil only a few buckets (docs/attacks.md
has what it did on the demo data).

Each client counts once, whatever its number of examples: weighting would let one client with
many examples (or a poisoner claiming many) pull every coordinate. Clients with weight 0 are
left out (`federated.aggregators.update_stack`). If no client is left, the aggregate is a zero
update.
"""

from __future__ import annotations

import tensorflow as tf
import tensorflow_federated as tff

from federated.aggregators.names import MEDIAN, TRIMMED_MEAN
from federated.aggregators.update_stack import UpdateStack


def coordinate_median(stacked: tf.Tensor) -> tf.Tensor:
    """The median over the first axis (clients), per coordinate; the mean of the middle two
    when the number of clients is even (as `numpy.median`)."""
    ordered = tf.sort(stacked, axis=0)
    count = tf.shape(stacked)[0]
    return (tf.gather(ordered, (count - 1) // 2) + tf.gather(ordered, count // 2)) / 2


def coordinate_trimmed_mean(stacked: tf.Tensor, trim_fraction: float) -> tf.Tensor:
    """The mean over the first axis after cutting the `floor(n * trim_fraction)` smallest and
    largest values of each coordinate (as `scipy.stats.trim_mean`)."""
    ordered = tf.sort(stacked, axis=0)
    count = tf.shape(stacked)[0]
    cut = tf.cast(tf.floor(tf.cast(count, tf.float64) * trim_fraction), tf.int32)
    return tf.reduce_mean(ordered[cut:count - cut], axis=0)


def bucket_means(stacked: tf.Tensor, bucket_size: int) -> tf.Tensor:
    """The means of consecutive groups of `bucket_size` rows (the last group may be smaller)."""
    count = tf.shape(stacked)[0]
    return tf.math.unsorted_segment_mean(stacked, tf.range(count) // bucket_size,
                                         num_segments=(count + bucket_size - 1) // bucket_size)


class CoordinateWiseFactory(tff.aggregators.WeightedAggregationFactory):
    """Aggregates client updates by a coordinate-wise statistic (median or trimmed mean).

    A weighted factory (FedAvg asks for one) that uses a weight only to skip weight-0 clients.
    The process is stateless and measures how many clients it aggregated.
    """

    def __init__(self, statistic: str, *, trim_fraction: float = 0.1, bucket_size: int = 1):
        if statistic not in (MEDIAN, TRIMMED_MEAN):
            raise ValueError(f"statistic must be {MEDIAN!r} or {TRIMMED_MEAN!r}, "
                             f"got {statistic!r}")
        if not 0 <= trim_fraction < 0.5:
            raise ValueError(f"trim fraction must be in [0, 0.5), got {trim_fraction}")
        if bucket_size < 1:
            raise ValueError(f"bucket size must be >= 1, got {bucket_size}")
        self._statistic = statistic
        self._trim_fraction = trim_fraction
        self._bucket_size = bucket_size

    def _reduce(self, stacked: tf.Tensor) -> tf.Tensor:
        """The statistic of one tensor's stack (of its bucket means); zeros (no update) if no
        client counted."""
        def reduce():
            rows = stacked if self._bucket_size == 1 else bucket_means(stacked,
                                                                        self._bucket_size)
            if self._statistic == MEDIAN:
                return coordinate_median(rows)
            return coordinate_trimmed_mean(rows, self._trim_fraction)

        return tf.cond(tf.shape(stacked)[0] > 0, reduce,
                       lambda: tf.zeros(tf.shape(stacked)[1:], stacked.dtype))

    def create(self, value_type: tff.types.Type,
               weight_type: tff.types.Type) -> tff.templates.AggregationProcess:
        stack = UpdateStack(value_type, weight_type)

        @tff.tensorflow.computation(stack.type)
        def statistic(stacked):
            values, _ = stacked
            return tf.nest.map_structure(self._reduce, values)

        @tff.tensorflow.computation(stack.type)
        def count(stacked):
            _, weights = stacked
            return tf.shape(weights)[0]

        @tff.federated_computation
        def init_fn():
            return tff.federated_value((), tff.SERVER)

        @tff.federated_computation(
            init_fn.type_signature.result,
            tff.FederatedType(value_type, tff.CLIENTS),
            tff.FederatedType(weight_type, tff.CLIENTS))
        def next_fn(state, value, weight):
            stacked = stack.collect(value, weight)
            return tff.templates.MeasuredProcessOutput(
                state=state, result=tff.federated_map(statistic, stacked),
                measurements=tff.federated_map(count, stacked))

        return tff.templates.AggregationProcess(init_fn, next_fn)
