"""How the server combines client updates: robust or plain mean, made secure, private or
compressed as `TrainConfig` asks.

Every chain is assembled from TFF's own parts, in the order TFF's ready-made aggregators
use (`tff.learning.robust_aggregator`, `secure_aggregator`, `compression_aggregator`,
`dp_aggregator`), so each option alone computes exactly what TFF's builder would:

- median / trimmed-mean: coordinate-wise, over every client's update
  (`federated.coordinate_aggregators`); none of the options below combine with them.
- similarity-filter: "robust" (below) around a mean that leaves out colluding clients
  (`federated.similarity_filter`); none of the options below combine with it.
- mean: the mean of client updates weighted by examples; with "robust", TFF's adaptive
  L2 clipping and zeroing of outlying updates around it.
- secure aggregation: every sum of client values goes through `federated_secure_sum_bitwidth`
  (values clipped to a range and encoded as 32-bit fixed point); robust clipping and
  zeroing estimate their norms from securely summed counts.
- differential privacy: an unweighted mean (each user counts once, whatever their amount of
  data) of updates clipped to an L2 norm, with Gaussian noise added to the sum; "robust"
  adds TFF's adaptive zeroing around it, as `dp_aggregator` does. With secure aggregation
  the clipped updates are summed securely and the noise is added to the secure sum.
- compression: updates are quantized on the client (`federated.compression`) and summed by
  `EncodedSumFactory`, inside the robust steps, as in `compression_aggregator`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

import tensorflow as tf
import tensorflow_federated as tff
import tensorflow_privacy as tf_privacy

# TFF's ready-made aggregators build their adaptive clipping and zeroing with these two
# helpers; using them keeps the robust steps identical to `tff.learning.robust_aggregator`.
from tensorflow_federated.python.learning.model_update_aggregator import (
    _default_clipping,
    _default_zeroing,
)

from federated.compression import quantized_sum
from federated.config import PrivacyConfig, TrainConfig
from federated.coordinate_aggregators import MEDIAN, TRIMMED_MEAN, CoordinateWiseFactory
from federated.sampling import rounds_per_epoch
from federated.similarity_filter import SIMILARITY_FILTER, SimilarityFilterFactory

Factory = Union[tff.aggregators.WeightedAggregationFactory,
                tff.aggregators.UnweightedAggregationFactory]

# Adaptive DP clipping as in `DifferentiallyPrivateFactory.gaussian_adaptive`: the clip norm
# moves towards the median update norm, by at most a factor e^0.2 per round.
ADAPTIVE_TARGET_QUANTILE = 0.5
ADAPTIVE_CLIP_LEARNING_RATE = 0.2
# A secure sum needs a fixed range for each value. A tree-DP update is clipped to the fixed
# clip norm, so no coordinate exceeds it; an adaptive clip norm is not known in advance, so
# its coordinates are summed within +-10 (far above any coordinate of a clipped update here;
# clipping a coordinate only shrinks an update, so the DP bound holds either way).
ADAPTIVE_SECURE_RANGE = 10.0


def model_aggregator(config: TrainConfig, *, users: int,
                     record_specs: Sequence[tf.TensorSpec]) -> Factory:
    """The aggregator of client model updates for `config`.

    Args:
        config: the run's settings (`aggregator`, `privacy`, `clients_per_round`).
        users: training users the clients are drawn from (sets the epochs of tree DP).
        record_specs: the specs of a model update (the trainable weights), which tree DP
            needs to build its noise.

    Returns:
        An unweighted factory when the run is differentially private (use it with
        `build_unweighted_fed_avg`), else a weighted one.
    """
    if config.aggregator in (MEDIAN, TRIMMED_MEAN):  # Refused with every privacy option.
        return CoordinateWiseFactory(config.aggregator, trim_fraction=config.trim_fraction,
                                     bucket_size=config.bucket_size)
    if config.aggregator == SIMILARITY_FILTER:  # Refused with every privacy option.
        return _default_zeroing(_default_clipping(SimilarityFilterFactory()))
    privacy = config.privacy
    robust = config.aggregator == "robust"
    if privacy.dp:
        private_mean = _private_mean(config, users=users, record_specs=record_specs)
        return (_default_zeroing(private_mean, secure_estimation=privacy.secure_aggregation)
                if robust else private_mean)
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


def _private_mean(config: TrainConfig, *, users: int,
                  record_specs: Sequence[tf.TensorSpec]
                  ) -> tff.aggregators.UnweightedAggregationFactory:
    """Clipped updates, summed (securely if asked), noised, divided by clients per round."""
    privacy = config.privacy
    clients = float(config.clients_per_round)
    if privacy.mechanism == "tree":
        # Restarted every epoch: the accountant's single-epoch trees, each user once per tree.
        noised_sum = tf_privacy.RestartQuery(
            tf_privacy.TreeResidualSumQuery.build_l2_gaussian_query(
                privacy.clip, privacy.dp_noise_multiplier, record_specs),
            tf_privacy.restart_query.PeriodicRoundRestartIndicator(
                period=rounds_per_epoch(users, config.clients_per_round)))
        secure_range = privacy.clip
    else:
        # Part of the noise budget goes to the clipped count that adapts the clip norm;
        # TFF splits it so that the total noise multiplier is the one asked for.
        split_noise = tff.aggregators.differential_privacy.adaptive_clip_noise_params
        value_noise, count_stddev = split_noise(privacy.dp_noise_multiplier, clients)
        noised_sum = tf_privacy.QuantileAdaptiveClipSumQuery(
            initial_l2_norm_clip=privacy.clip, noise_multiplier=value_noise,
            target_unclipped_quantile=ADAPTIVE_TARGET_QUANTILE,
            learning_rate=ADAPTIVE_CLIP_LEARNING_RATE, clipped_count_stddev=count_stddev,
            expected_num_records=clients, geometric_update=True)
        secure_range = ADAPTIVE_SECURE_RANGE
    record_sum = (tff.aggregators.SecureSumFactory(secure_range)
                  if privacy.secure_aggregation else None)
    return tff.aggregators.DifferentiallyPrivateFactory(
        tf_privacy.NormalizedQuery(noised_sum, denominator=clients),
        record_aggregation_factory=record_sum)
