"""Pure pieces of the trainer: client sampling, checkpoints, metrics history, config."""

from __future__ import annotations

import numpy as np
import pytest

from federated import checkpoint
from federated.config import OptimizerConfig, RuntimeConfig, TrainConfig
from federated.history import RoundMetrics, read_history, write_history
from federated.sampling import sample_clients

CLIENTS = [f"u{i:02d}" for i in range(10)]


def test_sampling_is_seeded_per_round_and_order_independent():
    first = sample_clients(CLIENTS, count=4, seed=7, round_number=3)

    assert first == sample_clients(list(reversed(CLIENTS)), count=4, seed=7, round_number=3)
    assert len(set(first)) == 4 and set(first) <= set(CLIENTS)
    assert first != sample_clients(CLIENTS, count=4, seed=7, round_number=4)


def test_sampling_covers_clients_uniformly():
    counts = dict.fromkeys(CLIENTS, 0)
    for round_number in range(2000):
        for client in sample_clients(CLIENTS, count=2, seed=0, round_number=round_number):
            counts[client] += 1

    # Each client is expected 400 times; 5 standard deviations is about +-90.
    assert all(300 < count < 500 for count in counts.values())


@pytest.mark.parametrize("count", [0, 11])
def test_sampling_rejects_impossible_counts(count):
    with pytest.raises(ValueError, match="cannot sample"):
        sample_clients(CLIENTS, count=count, seed=0, round_number=1)


def test_checkpoints_round_trip_and_keep_only_the_newest(tmp_path):
    leaves = [np.arange(6, dtype=np.float32).reshape(2, 3), np.array(5, dtype=np.int32)]
    for round_number in (1, 2, 3):
        checkpoint.save_leaves(tmp_path, round_number,
                               [(leaf + round_number).astype(leaf.dtype) for leaf in leaves])

    assert checkpoint.latest_round(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["round_000002.npz",
                                                          "round_000003.npz"]
    loaded = checkpoint.load_leaves(tmp_path, 3, [(2, 3), ()])
    np.testing.assert_array_equal(loaded[0], leaves[0] + 3)
    assert loaded[1].dtype == np.int32 and int(loaded[1]) == 8


def test_checkpoint_of_another_model_is_refused(tmp_path):
    checkpoint.save_leaves(tmp_path, 1, [np.zeros((2, 3))])

    with pytest.raises(ValueError, match="other settings"):
        checkpoint.load_leaves(tmp_path, 1, [(3, 3)])


def test_no_checkpoint_means_round_zero(tmp_path):
    assert checkpoint.latest_round(tmp_path / "missing") == 0


def test_history_round_trip_keeps_missing_eval_as_none(tmp_path):
    rows = [RoundMetrics(1, 1.5, 3, 40, 6.5, 0.1),
            RoundMetrics(2, 1.25, 3, 38, 6.0, 0.12, 5.9, 0.11, 0.2, 0.13)]

    write_history(tmp_path / "metrics.csv", rows)

    assert read_history(tmp_path / "metrics.csv") == rows
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0].startswith(
        "round,seconds,clients,train_examples,train_loss")


def test_config_round_trips_and_names_resume_conflicts():
    config = TrainConfig(rounds=4, optimizers=OptimizerConfig(server_optimizer="yogi"))

    assert TrainConfig.from_dict(config.to_dict()) == config
    longer = TrainConfig(rounds=8, optimizers=OptimizerConfig(server_optimizer="yogi"),
                         runtime=RuntimeConfig(max_concurrent_calls=4))
    assert longer.resume_conflicts(config) == []
    other = TrainConfig(rounds=4, seed=1, optimizers=OptimizerConfig(server_optimizer="yogi"))
    assert other.resume_conflicts(config) == ["seed: 0 saved, 1 now"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"clients_per_round": 0}, "--clients-per-round must be >= 1"),
    ({"rounds": 0}, "--rounds must be >= 1"),
    ({"eval_fraction": 1.0}, "--eval-fraction must be between 0 and 1"),
])
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_unknown_server_optimizer_is_refused():
    with pytest.raises(ValueError, match="server optimizer must be one of"):
        OptimizerConfig(server_optimizer="adagrad")
