"""Client datasets are built when looked up, and the same dataset every time. Needs TF: slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from federated.learning.client_data import build_client_datasets, make_dataset  # noqa: E402

pytestmark = pytest.mark.slow


def examples(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    ids = np.random.default_rng(seed).integers(0, 50, size=(rows, 5), dtype=np.int32)
    return ids, np.roll(ids, -1, axis=1)


def batches(dataset) -> list[np.ndarray]:
    return [inputs.numpy() for inputs, _ in dataset]


def test_a_users_dataset_is_the_same_at_every_lookup_and_seeded_by_position():
    by_user = {"b": examples(7, 1), "a": examples(9, 2)}

    datasets = build_client_datasets(by_user, batch_size=4, epochs=2, shuffle_seed=10)

    assert list(datasets) == ["b", "a"] and len(datasets) == 2
    first, again = batches(datasets["a"]), batches(datasets["a"])
    expected = batches(make_dataset(*by_user["a"], batch_size=4, epochs=2, shuffle_seed=11))
    assert len(first) == len(expected) == 5
    assert all(np.array_equal(x, y) and np.array_equal(x, z)
               for x, y, z in zip(first, again, expected))
    with pytest.raises(KeyError):
        datasets["c"]


def test_a_batch_size_below_one_is_refused():
    with pytest.raises(ValueError, match="batch size"):
        build_client_datasets({"a": examples(3, 1)}, batch_size=0)
