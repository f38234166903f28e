"""Coordinate-wise median and trimmed mean on the real TFF runtime equal numpy's. Marked slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow as tf  # noqa: E402
import tensorflow_federated as tff  # noqa: E402

from federated.aggregators.coordinate_wise import CoordinateWiseFactory  # noqa: E402
from federated.learning.worker import tff_worker  # noqa: E402

pytestmark = pytest.mark.slow

VALUE_TYPE = tff.types.tensorflow_to_type((tf.TensorSpec([2, 3], tf.float32),
                                           tf.TensorSpec([4], tf.float32)))
WEIGHT_TYPE = tff.TensorType(np.float32)


@pytest.fixture(scope="module")
def aggregate():
    """Runs one round of a factory's process: `aggregate(factory, values, weights)`."""
    with tff_worker():
        def run(factory, values, weights):
            process = factory.create(VALUE_TYPE, WEIGHT_TYPE)
            output = process.next(process.initialize(), values, weights)
            return output.result, int(output.measurements)

        yield run


def client_values(count: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(2, 3)).astype(np.float32),
             rng.normal(size=4).astype(np.float32)) for _ in range(count)]


def numpy_trimmed_mean(values: np.ndarray, fraction: float) -> np.ndarray:
    cut = int(len(values) * fraction)
    return np.sort(values, axis=0)[cut:len(values) - cut].mean(axis=0)


@pytest.mark.parametrize("clients", [5, 4, 1])  # Odd, even, alone (e.g. after dropouts).
def test_median_equals_numpy_for_any_number_of_clients(aggregate, clients):
    values = client_values(clients)

    result, aggregated = aggregate(CoordinateWiseFactory("median"), values, [3.0] * clients)

    assert aggregated == clients
    for part in (0, 1):
        np.testing.assert_allclose(result[part], np.median([v[part] for v in values], axis=0),
                                   rtol=1e-6)


def test_trimmed_mean_equals_numpy_and_ignores_an_outlier(aggregate):
    values = client_values(10, seed=1)
    values[3] = (np.full((2, 3), 1e6, np.float32), np.full(4, -1e6, np.float32))

    result, _ = aggregate(CoordinateWiseFactory("trimmed-mean", trim_fraction=0.2), values,
                          [1.0] * 10)

    for part in (0, 1):
        expected = numpy_trimmed_mean(np.array([v[part] for v in values]), 0.2)
        np.testing.assert_allclose(result[part], expected, rtol=1e-5)
        assert np.all(np.abs(result[part]) < 10)


@pytest.mark.parametrize("statistic", ["median", "trimmed-mean"])
def test_buckets_take_the_statistic_over_means_of_consecutive_clients(aggregate, statistic):
    values = client_values(7, seed=3)  # Buckets of 2: clients 0-1, 2-3, 4-5 and 6 alone.

    result, aggregated = aggregate(CoordinateWiseFactory(statistic, trim_fraction=0.25,
                                                         bucket_size=2), values, [1.0] * 7)

    assert aggregated == 7
    for part in (0, 1):
        stacked = np.array([v[part] for v in values])
        means = np.array([stacked[i:i + 2].mean(axis=0) for i in range(0, 7, 2)])
        expected = (np.median(means, axis=0) if statistic == "median"
                    else numpy_trimmed_mean(means, 0.25))
        np.testing.assert_allclose(result[part], expected, rtol=1e-5)


def test_weights_do_not_count_but_weight_zero_clients_are_left_out(aggregate):
    values = client_values(5, seed=2)

    result, aggregated = aggregate(CoordinateWiseFactory("median"), values,
                                   [1.0, 100.0, 0.0, 1.0, 1.0])

    kept = [v for i, v in enumerate(values) if i != 2]
    assert aggregated == 4
    np.testing.assert_allclose(result[1], np.median([v[1] for v in kept], axis=0), rtol=1e-6)


def test_a_round_where_no_client_counts_changes_nothing(aggregate):
    result, aggregated = aggregate(CoordinateWiseFactory("trimmed-mean"), client_values(2),
                                   [0.0, 0.0])

    assert aggregated == 0
    assert not np.any(result[0]) and not np.any(result[1])


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="trim fraction must be in"):
        CoordinateWiseFactory("trimmed-mean", trim_fraction=0.5)
    with pytest.raises(ValueError, match="bucket size must be >= 1"):
        CoordinateWiseFactory("median", bucket_size=0)
    with pytest.raises(ValueError, match="statistic must be"):
        CoordinateWiseFactory("mode")
