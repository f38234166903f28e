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


def rows_of(dataset) -> set[bytes]:
    return {row.tobytes() for inputs, _ in dataset for row in inputs.numpy()}


def test_a_cap_trains_a_prolific_user_on_a_fresh_sample_each_round_and_a_light_one_on_all():
    by_user = {"light": examples(3, 1), "prolific": examples(40, 2)}
    everything = {row.tobytes() for row in by_user["prolific"][0]}

    datasets = build_client_datasets(by_user, batch_size=4, shuffle_seed=7, max_examples=10)

    samples = [rows_of(datasets.in_round("prolific", round_number)) for round_number in (1, 2)]
    assert all(len(sample) == 10 and sample <= everything for sample in samples)
    assert samples[0] != samples[1]
    assert rows_of(datasets.in_round("prolific", 1)) == samples[0]
    light, again = batches(datasets.in_round("light", 5)), batches(datasets["light"])
    assert len(light) == len(again) == 1 and np.array_equal(light[0], again[0])
    assert len(rows_of(datasets["prolific"])) == 40


@pytest.mark.parametrize("max_examples, shuffle_seed", [(0, 1), (5, None)])
def test_a_cap_below_one_or_without_a_shuffle_seed_is_refused(max_examples, shuffle_seed):
    with pytest.raises(ValueError, match="cap"):
        build_client_datasets({"a": examples(3, 1)}, batch_size=2, shuffle_seed=shuffle_seed,
                              max_examples=max_examples)
