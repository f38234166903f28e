"""The privacy a differentially private run spends: (epsilon, delta) from `dp_accounting`.

Pure Python (no TensorFlow), so it is fast to test and cheap to call from the CLI. The
accounting is user-level: a neighbouring population differs in one user's whole data, and
each client update is clipped to an L2 norm C before Gaussian noise of standard deviation
z * C is added to the sum. The event must match how clients were sampled:

- "poisson": each user joins each round independently with probability clients / users
  (neighbours add or remove a user; the clipped sum changes by at most C).
- "without-replacement": each round draws exactly `clients` distinct users uniformly, as
  `federated.simulation.sampling.sample_clients` does. Neighbours replace one user's data (the user
  count is public), so the clipped sum can change by 2C: the accountant, which takes the
  noise relative to the sum's sensitivity, is given z / 2 (dp_accounting 0.4.3 does not
  halve it itself: google/differential-privacy#378).
- "shuffled-epochs" (tree aggregation, DP-FTRL): each epoch is a fresh permutation of the
  users cut into rounds of `clients`, so a user trains at most once per epoch, and the
  tree restarts every epoch. Neighbours replace one user's data with a zero record
  (Kairouz et al. 2021, appendix D), which moves the sum by at most C.
"""

from __future__ import annotations

import math
from importlib import metadata
from typing import Any

import dp_accounting
from dp_accounting.rdp import RdpAccountant

from federated.privacy.options import PrivacyConfig
from federated.simulation.sampling import rounds_per_epoch

NeighborRel = dp_accounting.NeighboringRelation

SAMPLINGS = ("poisson", "without-replacement", "shuffled-epochs")
NEIGHBOURS = {NeighborRel.ADD_OR_REMOVE_ONE: "add or remove one user",
              NeighborRel.REPLACE_ONE: "replace one user's data",
              NeighborRel.REPLACE_SPECIAL: "replace one user's data with nothing"}


def dp_event(*, sampling: str, noise_multiplier: float, users: int, clients_per_round: int,
             rounds: int) -> tuple[dp_accounting.DpEvent, NeighborRel]:
    """The `dp_accounting` event of `rounds` rounds, and the neighbouring relation it needs."""
    if noise_multiplier <= 0:
        raise ValueError(f"noise multiplier must be > 0, got {noise_multiplier}")
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    per_epoch = rounds_per_epoch(users, clients_per_round)
    if sampling == "poisson":
        event = dp_accounting.PoissonSampledDpEvent(
            clients_per_round / users, dp_accounting.GaussianDpEvent(noise_multiplier))
        return dp_accounting.SelfComposedDpEvent(event, rounds), NeighborRel.ADD_OR_REMOVE_ONE
    if sampling == "without-replacement":
        event = dp_accounting.SampledWithoutReplacementDpEvent(
            users, clients_per_round, dp_accounting.GaussianDpEvent(noise_multiplier / 2))
        return dp_accounting.SelfComposedDpEvent(event, rounds), NeighborRel.REPLACE_ONE
    if sampling == "shuffled-epochs":
        epochs, rest = divmod(rounds, per_epoch)
        trees = [dp_accounting.SelfComposedDpEvent(
            dp_accounting.SingleEpochTreeAggregationDpEvent(noise_multiplier, per_epoch),
            epochs)]
        if rest:
            trees.append(dp_accounting.SingleEpochTreeAggregationDpEvent(noise_multiplier, rest))
        return dp_accounting.ComposedDpEvent(trees), NeighborRel.REPLACE_SPECIAL
    raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")


def epsilon(*, sampling: str, noise_multiplier: float, users: int, clients_per_round: int,
            rounds: int, delta: float) -> float:
    """The epsilon of (epsilon, delta)-DP after `rounds` rounds (RDP accountant)."""
    if not 0 < delta < 1:
        raise ValueError(f"delta must be between 0 and 1, got {delta}")
    event, relation = dp_event(sampling=sampling, noise_multiplier=noise_multiplier,
                               users=users, clients_per_round=clients_per_round, rounds=rounds)
    accountant = RdpAccountant(neighboring_relation=relation)
    accountant.compose(event)
    return float(accountant.get_epsilon(delta))


def noise_for_epsilon(target: float, *, sampling: str, users: int, clients_per_round: int,
                      rounds: int, delta: float, rel_tol: float = 1e-3) -> float:
    """The noise multiplier whose epsilon after `rounds` rounds is `target`, to `rel_tol`
    (rounded up: its epsilon is at most `target`). Epsilon falls as the noise rises, so the
    answer is bracketed by doubling and then bisected in log space."""
    if target <= 0 or rounds < 1:
        raise ValueError(f"target epsilon and rounds must be > 0, got {target} and {rounds}")

    def spends(noise: float) -> float:
        return epsilon(sampling=sampling, noise_multiplier=noise, users=users,
                       clients_per_round=clients_per_round, rounds=rounds, delta=delta)

    low, high = 0.5, 1.0
    while spends(high) > target:
        low, high = high, 2 * high
    while spends(low) <= target:
        low, high = low / 2, low
    while high / low > 1 + rel_tol:
        middle = math.sqrt(low * high)
        low, high = (middle, high) if spends(middle) > target else (low, middle)
    return high


def privacy_spent(privacy: PrivacyConfig, *, users: int, clients_per_round: int,
                  rounds: int) -> dict[str, Any]:
    """The `dp` block of summary.json: the guarantee of a DP run after `rounds` rounds."""
    delta = privacy.delta(users)
    _, relation = dp_event(sampling=privacy.sampling, noise_multiplier=privacy.dp_noise_multiplier,
                           users=users, clients_per_round=clients_per_round, rounds=rounds)
    return {
        "epsilon": epsilon(sampling=privacy.sampling,
                           noise_multiplier=privacy.dp_noise_multiplier, users=users,
                           clients_per_round=clients_per_round, rounds=rounds, delta=delta),
        "delta": delta,
        "noise_multiplier": privacy.dp_noise_multiplier,
        "mechanism": privacy.mechanism,
        "clip_norm": privacy.clip,
        "clip_norm_adapts": privacy.mechanism == "adaptive",
        "sampling": privacy.sampling,
        "neighbouring_populations": NEIGHBOURS[relation],
        "users": users,
        "clients_per_round": clients_per_round,
        "rounds": rounds,
        "accountant": f"dp_accounting {metadata.version('dp-accounting')}, RDP",
    }
