"""The differentially private mean of client updates: clipped, summed (securely if asked),
noised, divided by the clients per round. DP-FedAvg (adaptive clipping, Andrew et al. 2021) or
DP-FTRL (tree-correlated noise, Kairouz et al. 2021), built from `tensorflow_privacy` queries
inside TFF's `DifferentiallyPrivateFactory`."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf
import tensorflow_federated as tff
import tensorflow_privacy as tf_privacy

from federated.privacy.options import PrivacyConfig
from federated.simulation.sampling import rounds_per_epoch

# Adaptive DP clipping as in `DifferentiallyPrivateFactory.gaussian_adaptive`: the clip norm
# moves towards the median update norm, by at most a factor e^0.2 per round.
ADAPTIVE_TARGET_QUANTILE = 0.5
ADAPTIVE_CLIP_LEARNING_RATE = 0.2
# A secure sum needs a fixed range for each value. A tree-DP update is clipped to the fixed
# clip norm, so no coordinate exceeds it; an adaptive clip norm is not known in advance, so
# its coordinates are summed within +-10 (far above any coordinate of a clipped update here;
# clipping a coordinate only shrinks an update, so the DP bound holds either way).
ADAPTIVE_SECURE_RANGE = 10.0


def private_mean(privacy: PrivacyConfig, *, clients_per_round: int, users: int,
                 record_specs: Sequence[tf.TensorSpec]
                 ) -> tff.aggregators.UnweightedAggregationFactory:
    """The private mean `privacy` asks for (`privacy.dp` must be set).

    Args:
        privacy: the mechanism, noise multiplier, clip norm and whether sums are secure.
        clients_per_round: the denominator of the mean, and what adaptive clipping expects.
        users: training users the clients are drawn from (sets the epochs of tree DP).
        record_specs: the specs of a model update, which tree DP needs to build its noise.
    """
    clients = float(clients_per_round)
    if privacy.mechanism == "tree":
        # Restarted every epoch: the accountant's single-epoch trees, each user once per tree.
        noised_sum = tf_privacy.RestartQuery(
            tf_privacy.TreeResidualSumQuery.build_l2_gaussian_query(
                privacy.clip, privacy.dp_noise_multiplier, record_specs),
            tf_privacy.restart_query.PeriodicRoundRestartIndicator(
                period=rounds_per_epoch(users, clients_per_round)))
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
