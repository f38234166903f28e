"""The similarity filter on the real TFF runtime: colluding clients (updates that share a
direction the others lack) are left out, alone or in a pack, and the rest is FedAvg's
weighted mean. Marked slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow as tf  # noqa: E402
import tensorflow_federated as tff  # noqa: E402

from federated.aggregators.measurements import LEFT_OUT, find_measurement  # noqa: E402
from federated.aggregators.model_update import model_aggregator  # noqa: E402
from federated.aggregators.names import SIMILARITY_FILTER  # noqa: E402
from federated.aggregators.similarity_filter import (  # noqa: E402
    SimilarityFilterFactory,
)
from federated.learning.worker import tff_worker  # noqa: E402
from federated.privacy.options import PrivacyConfig  # noqa: E402

pytestmark = pytest.mark.slow

# Updates of 640 values: random honest directions are nearly orthogonal, as in a real model.
SPECS = (tf.TensorSpec([20, 30], tf.float32), tf.TensorSpec([40], tf.float32))
SIZE = 640
VALUE_TYPE = tff.types.tensorflow_to_type(SPECS)
WEIGHT_TYPE = tff.TensorType(np.float32)
RNG = np.random.default_rng(0)
COMMON, SHARED = RNG.normal(size=SIZE), RNG.normal(size=SIZE)  # What all learn; what colluders add.


def as_value(vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return vector[:600].reshape(20, 30).astype(np.float32), vector[600:].astype(np.float32)


def honest(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [COMMON + rng.normal(size=SIZE) for _ in range(count)]


def colluders(count: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [COMMON + 3 * SHARED + 0.3 * rng.normal(size=SIZE) for _ in range(count)]


def weighted_mean(vectors: list[np.ndarray], weights: list[float]) -> np.ndarray:
    return np.average(np.array(vectors), axis=0, weights=weights)


@pytest.fixture(scope="module")
def process():
    with tff_worker():
        yield SimilarityFilterFactory().create(VALUE_TYPE, WEIGHT_TYPE)


def run_round(process, state, vectors, weights):
    """One round: (the aggregate as one vector, clients left out, the new state)."""
    output = process.next(state, [as_value(v) for v in vectors], weights)
    result = np.concatenate([np.ravel(part) for part in output.result])
    return result, int(output.measurements["left_out"]), output.state


def test_colluders_are_left_out_and_the_rest_averaged_by_weight(process):
    vectors = honest(6, seed=1) + colluders(2, seed=2)
    weights = [1.0, 2.0, 3.0, 1.0, 5.0, 2.0, 4.0, 4.0]

    result, left_out, _ = run_round(process, process.initialize(), vectors, weights)

    assert left_out == 2
    np.testing.assert_allclose(result, weighted_mean(vectors[:6], weights[:6]), rtol=1e-5)


def test_honest_clients_alone_are_all_kept(process):
    vectors, weights = honest(8, seed=3), [1.0, 2.0, 3.0, 4.0, 1.0, 2.0, 3.0, 4.0]

    result, left_out, _ = run_round(process, process.initialize(), vectors, weights)

    assert left_out == 0
    np.testing.assert_allclose(result, weighted_mean(vectors, weights), rtol=1e-5)


def test_the_memory_recognises_a_lone_colluder_in_a_later_round(process):
    _, _, remembering = run_round(process, process.initialize(),
                                  honest(6, seed=4) + colluders(2, seed=5), [1.0] * 8)
    later = honest(6, seed=6) + colluders(1, seed=7)

    _, left_out, _ = run_round(process, remembering, later, [1.0] * 7)
    result, left_out_without_memory, _ = run_round(process, process.initialize(), later,
                                                   [1.0] * 7)

    assert left_out == 1
    assert left_out_without_memory == 0  # Alone, it looks like anyone else.
    np.testing.assert_allclose(result, weighted_mean(later, [1.0] * 7), rtol=1e-5)


def test_fewer_than_three_clients_are_never_filtered(process):
    vectors = colluders(2, seed=8)

    result, left_out, _ = run_round(process, process.initialize(), vectors, [1.0, 3.0])

    assert left_out == 0
    np.testing.assert_allclose(result, weighted_mean(vectors, [1.0, 3.0]), rtol=1e-5)


def test_a_round_where_no_client_counts_changes_nothing(process):
    _, _, state = run_round(process, process.initialize(),
                            honest(6, seed=9) + colluders(2, seed=10), [1.0] * 8)

    result, left_out, after = run_round(process, state, honest(3, seed=11), [0.0] * 3)

    assert left_out == 0 and not np.any(result)
    np.testing.assert_array_equal(after, state)
    assert np.any(state)  # The first round left colluders out, so it has a memory.


def test_the_trainer_chain_clips_zeroes_and_reports_the_filter(process):
    chain = model_aggregator(SIMILARITY_FILTER, PrivacyConfig(), clients_per_round=8, users=8,
                             record_specs=SPECS).create(VALUE_TYPE, WEIGHT_TYPE)
    vectors = honest(6, seed=12) + colluders(2, seed=13)

    output = chain.next(chain.initialize(), [as_value(v) for v in vectors], [1.0] * 8)

    assert find_measurement(output.measurements, LEFT_OUT) == 2
    assert set(output.measurements) == {"zeroing", "zeroing_norm", "zeroed_count"}


def test_a_measurement_is_found_at_any_depth_and_is_none_where_no_aggregator_has_it():
    assert find_measurement({"zeroing": {"clipping": (), "clipped_count": 0}}, LEFT_OUT) is None
    assert find_measurement({"zeroing": {"clipping": {"left_out": 3}}}, LEFT_OUT) == 3
