"""How the server combines client updates: the chain of TFF aggregators an aggregator name
and the privacy options ask for.

Every chain is assembled from TFF's own parts, in the order TFF's ready-made aggregators
use (`tff.learning.robust_aggregator`, `secure_aggregator`, `compression_aggregator`,
`dp_aggregator`), so each option alone computes exactly what TFF's builder would:

- median / trimmed-mean: coordinate-wise, over every client's update
  (`federated.aggregators.coordinate_wise`); none of the options below combine with them.
- similarity-filter: "robust" (below) around a mean that leaves out colluding clients
  (`federated.aggregators.similarity_filter`); none of the options below combine with it.
- mean: the mean of client updates weighted by examples; with "robust", TFF's adaptive
  L2 clipping and zeroing of outlying updates around it.
- secure aggregation: every sum of client values goes through `federated_secure_sum_bitwidth`
  (values clipped to a range and encoded as 32-bit fixed point); robust clipping and
  zeroing estimate their norms from securely summed counts.
- differential privacy: an unweighted mean (each user counts once, whatever their amount of
  data) of updates clipped to an L2 norm, with Gaussian noise added to the sum; "robust"
  adds TFF's adaptive zeroing around it, as `dp_aggregator` does. With secure aggregation
  the clipped updates are summed securely and the noise is added to the secure sum.
- compression: updates are quantized on the client (`federated.aggregators.compression`)
  and summed by `EncodedSumFactory`, inside the robust steps, as in `compression_aggregator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import tensorflow as tf
import tensorflow_federated as tff

# TFF's ready-made aggregators build their adaptive clipping and zeroing with these two
# helpers; using them keeps the robust steps identical to `tff.learning.robust_aggregator`.
from tensorflow_federated.python.learning.model_update_aggregator import (
    _default_clipping,
    _default_zeroing,
)

from federated.aggregators.compression import quantized_sum
from federated.aggregators.coordinate_wise import CoordinateWiseFactory
from federated.aggregators.names import AGGREGATORS, COORDINATE_WISE, ROBUST, SIMILARITY_FILTER
from federated.aggregators.similarity_filter import SimilarityFilterFactory
from federated.privacy.dp_mean import private_mean
from federated.privacy.options import PrivacyConfig

Factory = Union[tff.aggregators.WeightedAggregationFactory,
                tff.aggregators.UnweightedAggregationFactory]


def model_aggregator(name: str, privacy: PrivacyConfig, *, clients_per_round: int, users: int,
                     record_specs: Sequence[tf.TensorSpec], trim_fraction: float = 0.1,
                     bucket_size: int = 1) -> Factory:
    """The aggregator of client model updates.

    Args:
        name: one of `federated.aggregators.names.AGGREGATORS`.
        privacy: secure aggregation, DP and compression (only with `SUM_AGGREGATORS`).
        clients_per_round: clients in a round (DP's mean divides by it).
        users: training users the clients are drawn from (sets the epochs of tree DP).
        record_specs: the specs of a model update (the trainable weights), which tree DP
            needs to build its noise.
        trim_fraction, bucket_size: options of the coordinate-wise statistics.

    Returns:
        An unweighted factory when `privacy.dp` (use it with `build_unweighted_fed_avg`),
        else a weighted one.
    """
    if name not in AGGREGATORS:
        raise ValueError(f"aggregator must be one of {tuple(AGGREGATORS)}, got {name!r}")
    if name in COORDINATE_WISE:  # Refused with every privacy option.
        return CoordinateWiseFactory(name, trim_fraction=trim_fraction, bucket_size=bucket_size)
    if name == SIMILARITY_FILTER:  # Refused with every privacy option.
        return _default_zeroing(_default_clipping(SimilarityFilterFactory()))
    robust = name == ROBUST
    if privacy.dp:
        mean = private_mean(privacy, clients_per_round=clients_per_round, users=users,
                            record_specs=record_specs)
        return (_default_zeroing(mean, secure_estimation=privacy.secure_aggregation)
                if robust else mean)
    if privacy.secure_aggregation:
        return tff.learning.secure_aggregator(zeroing=robust, clipping=robust, weighted=True)
    mean = (tff.aggregators.MeanFactory() if privacy.compress_bits is None
            else tff.aggregators.MeanFactory(quantized_sum(privacy.compress_bits)))
    return _default_zeroing(_default_clipping(mean)) if robust else mean


def metrics_aggregator(privacy: PrivacyConfig):
    """Sums the clients' training metrics: securely when updates are summed securely."""
    if privacy.secure_aggregation:
        return tff.learning.metrics.secure_sum_then_finalize
    return tff.learning.metrics.sum_then_finalize


