"""The privacy payoff of scale: the noise a cohort needs for an epsilon, and recall read off
measured runs at the same noise on the mean (pure Python)."""

from __future__ import annotations

import pytest

from federated.privacy.accounting import epsilon, noise_for_epsilon
from federated.privacy.cohorts import cohort_curve, interpolate_top1

POPULATION = dict(sampling="poisson", users=1000, rounds=20, delta=1e-5)


# The without-replacement accountant takes seconds per bisection.
@pytest.mark.parametrize("sampling", ["poisson",
                                      pytest.param("without-replacement", marks=pytest.mark.slow)])
def test_noise_for_epsilon_is_the_least_noise_that_spends_at_most_the_target(sampling):
    kwargs = {**POPULATION, "sampling": sampling, "clients_per_round": 10}

    noise = noise_for_epsilon(3.0, rel_tol=1e-3, **kwargs)

    assert epsilon(noise_multiplier=noise, **kwargs) <= 3.0
    assert epsilon(noise_multiplier=noise / 1.002, **kwargs) > 3.0


def test_noise_for_epsilon_brackets_targets_far_from_its_start():
    kwargs = {**POPULATION, "clients_per_round": 10}
    loose, strict = (noise_for_epsilon(target, **kwargs) for target in (200.0, 0.05))

    assert loose < 0.5 < 2 < strict
    assert epsilon(noise_multiplier=strict, **kwargs) == pytest.approx(0.05, rel=0.01)
    with pytest.raises(ValueError, match="must be > 0"):
        noise_for_epsilon(0, **kwargs)
    with pytest.raises(ValueError, match="must be > 0"):
        noise_for_epsilon(1.0, **{**kwargs, "rounds": 0})


def test_top1_is_interpolated_in_log_noise_between_measured_runs_only():
    measured = [(0.4, 0.1), (0.1, 0.5)]

    assert interpolate_top1(measured, 0.1) == 0.5
    assert interpolate_top1(measured, 0.4) == pytest.approx(0.1)
    assert interpolate_top1(measured, 0.2) == pytest.approx(0.3)  # Halfway in log.
    assert interpolate_top1(measured, 0.05) is None
    assert interpolate_top1(measured, 0.5) is None
    assert interpolate_top1([(0.1, 0.5)], 0.1) == 0.5


def test_larger_cohorts_at_one_epsilon_put_less_noise_on_the_mean():
    measured = [(0.05, 0.5), (0.2, 0.4), (1.0, 0.1)]

    rows = cohort_curve(measured, reference_clients=10, cohorts=[10, 40, 160], epsilon=3.0,
                        **POPULATION)

    assert [row.clients_per_round for row in rows] == [10, 40, 160]
    for row in rows:
        assert row.reference_noise_multiplier == pytest.approx(
            row.noise_multiplier * 10 / row.clients_per_round)
        assert epsilon(noise_multiplier=row.noise_multiplier,
                       clients_per_round=row.clients_per_round, **POPULATION) <= 3.0
    # More clients need more noise on the sum, and less on the mean.
    assert rows[0].noise_multiplier < rows[1].noise_multiplier < rows[2].noise_multiplier
    noises = [row.reference_noise_multiplier for row in rows]
    assert noises[0] > noises[1] > noises[2]
    assert rows[0].top1 == interpolate_top1(measured, noises[0])
    assert [row.top1 is None for row in rows] == [interpolate_top1(measured, n) is None
                                                  for n in noises]
    assert any(row.top1 is not None for row in rows)
