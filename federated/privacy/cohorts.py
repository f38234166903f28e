"""The privacy payoff of scale: what larger cohorts at a fixed epsilon would cost in recall,
read off DP runs at one small cohort.

DP-FedAvg adds Gaussian noise of z x C to the sum of a round's m clipped updates, so the mean
that moves the model carries noise of z x C / m in every coordinate. For a population too large
to train here, the accountant gives the z that a cohort of m needs for a target epsilon; a run at
the reference cohort m0 with z0 = z x m0 / m puts the same noise on its mean (McMahan et al.
2018, "Learning differentially private recurrent language models", section 4, estimate large
cohorts this way). Its mean of m0 updates varies more than one of m would, so its recall is
an estimate from below. Recall is interpolated linearly in log z0 between measured runs, and
is not guessed outside them.

Pure Python (no TensorFlow).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Optional

from federated.privacy.accounting import noise_for_epsilon


@dataclass(frozen=True)
class CohortRow:
    """One cohort size of the curve.

    Attributes:
        clients_per_round: the cohort, m.
        noise_multiplier: the z that spends the target epsilon with this cohort.
        reference_noise_multiplier: z0, the noise multiplier that puts the same noise on the
            mean of the reference cohort.
        top1: top-1 recall interpolated from the measured runs at z0; None outside them.
    """

    clients_per_round: int
    noise_multiplier: float
    reference_noise_multiplier: float
    top1: Optional[float]


def interpolate_top1(measured: Sequence[tuple[float, float]], noise: float) -> Optional[float]:
    """Top-1 recall at noise multiplier `noise`, linear in log noise between the two measured
    `(noise multiplier, top-1)` runs around it; None below the least or above the most."""
    points = sorted(measured)
    for (low, low_top1), (high, high_top1) in zip(points, points[1:]):
        if low <= noise <= high:
            share = math.log(noise / low) / math.log(high / low)
            return low_top1 + share * (high_top1 - low_top1)
    if len(points) == 1 and points[0][0] == noise:
        return points[0][1]
    return None


def cohort_curve(measured: Sequence[tuple[float, float]], *, reference_clients: int,
                 cohorts: Sequence[int], epsilon: float, users: int, rounds: int,
                 delta: float, sampling: str) -> list[CohortRow]:
    """Each cohort's noise multiplier at `epsilon` and its estimated top-1 recall.

    Args:
        measured: `(noise multiplier, top-1 recall)` of DP runs with `reference_clients`
            clients a round, trained for `rounds` rounds.
        reference_clients: the measured runs' clients per round, m0.
        cohorts: the cohorts m to estimate.
        epsilon, users, rounds, delta, sampling: the guarantee and the population it is for
            (`federated.privacy.accounting.epsilon`).
    """
    rows = []
    for clients in cohorts:
        noise = noise_for_epsilon(epsilon, sampling=sampling, users=users,
                                  clients_per_round=clients, rounds=rounds, delta=delta)
        reference_noise = noise * reference_clients / clients
        rows.append(CohortRow(clients, noise, reference_noise,
                              interpolate_top1(measured, reference_noise)))
    return rows
