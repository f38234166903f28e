"""Pure pieces of the trainer: client sampling and dropouts, checkpoints, metrics history,
config."""

from __future__ import annotations

import json

import numpy as np
import pytest

from federated.learning.options import OptimizerConfig, RuntimeConfig
from federated.simulation.options import AttackConfig, DeviceConfig
from federated.simulation.sampling import (
    RoundPlanner,
    drops_out,
    plan_round,
    sample_clients,
    sample_eval_users,
)
from federated.training import checkpoint
from federated.training.config import TrainConfig
from federated.training.metrics_file import RoundMetrics, read_history, write_history
from federated.training.run_dir import RunDir, RunFormatError, read_run_config
from federated.training.workspace import split_histories

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


def test_the_periodic_evaluation_sample_is_seeded_fixed_and_in_the_users_order():
    sample = sample_eval_users(CLIENTS, count=3, seed=7)
    assert len(sample) == 3 and set(sample) <= set(CLIENTS)
    assert sample == [client for client in CLIENTS if client in sample]
    assert sample == sample_eval_users(CLIENTS, count=3, seed=7)
    assert set(sample_eval_users(list(reversed(CLIENTS)), count=3, seed=7)) == set(sample)
    assert any(sample_eval_users(CLIENTS, count=3, seed=seed) != sample for seed in range(5))
    assert sample_eval_users(CLIENTS, count=None, seed=7) == CLIENTS
    assert sample_eval_users(CLIENTS, count=len(CLIENTS) + 1, seed=7) == CLIENTS
    with pytest.raises(ValueError):
        sample_eval_users(CLIENTS, count=0, seed=7)


def test_a_plain_round_plan_is_the_plain_sample():
    plan = plan_round(CLIENTS, count=4, seed=7, round_number=3)

    assert plan.sampled == plan.trained == sample_clients(CLIENTS, count=4, seed=7,
                                                          round_number=3)
    assert plan.dropped == 0 and plan.eligible is None


def test_rounds_sample_among_eligible_clients_and_take_all_when_too_few():
    eligible = ["u01", "u04", "u07"]

    plenty = plan_round(CLIENTS, count=2, seed=0, round_number=1, eligible=eligible)
    short = plan_round(CLIENTS, count=4, seed=0, round_number=1, eligible=eligible)
    nobody = plan_round(CLIENTS, count=4, seed=0, round_number=1, eligible=[])

    assert len(plenty.sampled) == 2 and set(plenty.sampled) <= set(eligible)
    assert short.sampled == eligible and short.eligible == 3
    assert nobody.sampled == nobody.trained == [] and nobody.eligible == 0


def test_dropouts_are_seeded_per_client_and_round_at_the_given_rate():
    draws = [drops_out(c, rate=0.3, seed=1, round_number=r) for c in CLIENTS
             for r in range(300)]

    assert 0.25 < np.mean(draws) < 0.35
    assert draws == [drops_out(c, rate=0.3, seed=1, round_number=r) for c in CLIENTS
                     for r in range(300)]
    assert not any(drops_out(c, rate=0.0, seed=1, round_number=1) for c in CLIENTS)


def test_a_round_with_dropouts_trains_the_survivors_and_priority_devices_can_drop_too():
    plans = {r: plan_round(CLIENTS, count=5, seed=2, round_number=r, priority=["u00"],
                           dropout_rate=0.5) for r in range(1, 21)}

    for round_number, plan in plans.items():
        assert plan.sampled[0] == "u00" and len(set(plan.sampled)) == 5
        assert plan.trained == [c for c in plan.sampled if not drops_out(
            c, rate=0.5, seed=2, round_number=round_number)]
        assert plan.dropped == len(plan.sampled) - len(plan.trained)
    assert sum(plan.dropped for plan in plans.values()) > 0
    assert any("u00" not in plan.trained for plan in plans.values())


def test_priority_clients_take_the_first_places_only_when_available():
    plain = plan_round(CLIENTS, count=3, seed=4, round_number=7)
    first = plan_round(CLIENTS, count=3, seed=4, round_number=7, priority=["u01", "zz"])
    away = plan_round(CLIENTS, count=3, seed=4, round_number=7, priority=["u01"],
                      eligible=[c for c in CLIENTS if c != "u01"])

    assert plan_round(CLIENTS, count=3, seed=4, round_number=7, priority=()) == plain
    assert first.sampled[0] == "u01" and "zz" not in first.sampled
    assert len(set(first.sampled)) == 3
    assert "u01" not in away.sampled and len(away.sampled) == 3


def test_a_planner_gives_devices_the_first_places_of_one_round_only():
    planner = RoundPlanner(CLIENTS, count=3, seed=5, priority=["u07"], priority_round=11)
    plain = RoundPlanner(CLIENTS, count=3, seed=5)

    assert planner(11).sampled[0] == "u07"
    for round_number in (10, 12, 30):
        assert planner(round_number) == plain(round_number)
    appearances = sum("u07" in plain(r).sampled for r in range(1, 301))
    assert 60 < appearances < 120  # Like any of 10 clients drawn 3 at a time: 90 expected.


def test_a_planner_samples_only_eligible_clients_and_ignores_unknown_ones():
    planner = RoundPlanner(CLIENTS, count=4, seed=5, eligible=lambda r: ["u01", "u02", "zz"])

    plan = planner(3)

    assert sorted(plan.sampled) == ["u01", "u02"] and plan.eligible == 2


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
            RoundMetrics(2, 1.25, 3, 38, 6.0, 0.12, 5.9, 0.11, 0.2, 0.13),
            RoundMetrics(3, 1.0, 2, 30, 5.9, 0.13, sampled=4, dropped=2, eligible=7,
                         malicious=1, left_out=2)]

    write_history(tmp_path / "metrics.csv", rows)

    assert read_history(tmp_path / "metrics.csv") == rows
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0].startswith(
        "round,seconds,clients,train_examples,train_loss")


def test_a_history_of_another_run_format_is_refused_in_one_line(tmp_path):
    (tmp_path / "metrics.csv").write_text(
        "round,seconds,clients,train_examples,train_loss,train_top1_recall,eval_loss,"
        "eval_top1_recall,eval_top3_recall,eval_top1_recall_without_oov\n"
        "1,1.5,3,40,6.5,0.1,,,,\n")

    with pytest.raises(RunFormatError, match="columns of another run format; this trainer "
                                             "reads format 2: train the run again"):
        read_history(tmp_path / "metrics.csv")


@pytest.mark.parametrize(("saved", "found"), [({"format": 7}, 7), ({}, 1)])
def test_a_run_config_of_another_format_is_refused(tmp_path, saved, found):
    files = RunDir(tmp_path)
    files.config.write_text(json.dumps({**saved, "train": {}, "data": "d", "data_sha256": "x"}))

    with pytest.raises(RunFormatError, match=f"written in run format {found}; this trainer "
                                             "reads format 2"):
        read_run_config(files)


def test_a_run_config_of_this_format_reads(tmp_path):
    files = RunDir(tmp_path)
    files.config.write_text(json.dumps({"format": 2, "train": {}, "data": "d",
                                        "data_sha256": "x"}))

    assert read_run_config(files)["data"] == "d"


def test_config_with_devices_and_attack_round_trips():
    config = TrainConfig(devices=DeviceConfig(eligibility=True, dropout_rate=0.2),
                         attack=AttackConfig(attack="boost", malicious_fraction=0.1,
                                             boost_factor=20.0))

    assert TrainConfig.from_dict(config.to_dict()) == config
    assert config.resume_conflicts(TrainConfig(devices=DeviceConfig(eligibility=True,
                                                                    dropout_rate=0.2))) == [
        "attack: {'attack': 'none', 'malicious_fraction': 0.0, 'boost_factor': 1.0, "
        "'trigger': 'best pizza in', 'target': 'walmart'} saved, {'attack': 'boost', "
        "'malicious_fraction': 0.1, 'boost_factor': 20.0, 'trigger': 'best pizza in', "
        "'target': 'walmart'} now"]


def test_config_round_trips_and_names_resume_conflicts():
    config = TrainConfig(rounds=4, optimizers=OptimizerConfig(server_optimizer="yogi"))

    assert TrainConfig.from_dict(config.to_dict()) == config
    longer = TrainConfig(rounds=8, optimizers=OptimizerConfig(server_optimizer="yogi"),
                         runtime=RuntimeConfig(max_concurrent_calls=4), eval_users=100,
                         network_weight=1.0)
    assert longer.resume_conflicts(config) == []
    other = TrainConfig(rounds=4, seed=1, optimizers=OptimizerConfig(server_optimizer="yogi"))
    assert other.resume_conflicts(config) == ["seed: 0 saved, 1 now"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"clients_per_round": 0}, "--clients-per-round must be >= 1"),
    ({"rounds": 0}, "--rounds must be >= 1"),
    ({"eval_fraction": 1.0}, "--eval-fraction must be between 0 and 1"),
    ({"trim_fraction": 0.5}, "--trim-fraction must be in \\[0, 0.5\\)"),
    ({"bucket_size": 0}, "--bucket-size must be >= 1"),
    ({"bucket_size": 2}, "--bucket-size needs --aggregator median or trimmed-mean"),
    ({"max_words": 3}, "--backdoor-trigger must be shorter than --max-words 3 words"),
    ({"model_dropout": 1.0}, "--model-dropout must be in \\[0, 1\\)"),
    ({"max_client_messages": 0}, "--max-client-messages must be >= 1"),
    ({"eval_users": 0}, "--eval-users must be >= 1"),
    ({"network_weight": 1.5}, "--network-weight must be in \\[0, 1\\]"),
])
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_unknown_server_optimizer_is_refused():
    with pytest.raises(ValueError, match="--server-optimizer must be one of"):
        OptimizerConfig(server_optimizer="adagrad")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"dropout_rate": 1.0}, "--dropout-rate must be in \\[0, 1\\), got 1.0"),
    ({"round_minutes": 0}, "--round-minutes must be > 0"),
    ({"start_time": "7:00"}, "--start-time must be HH:MM"),
])
def test_device_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DeviceConfig(**kwargs)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"attack": "flip"}, "--attack must be one of"),
    ({"malicious_fraction": 0.1}, "--malicious-fraction and --boost-factor need --attack"),
    ({"attack": "boost", "malicious_fraction": 1.0}, "--malicious-fraction must be in"),
    ({"attack": "boost", "boost_factor": 0.0}, "--boost-factor must be a non-zero number"),
    ({"attack": "backdoor", "trigger": "?!"}, "--backdoor-trigger must contain a word"),
    ({"attack": "backdoor", "target": "two words"}, "--backdoor-target must be one word"),
])
def test_attack_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AttackConfig(**kwargs)


def test_validation_users_are_training_users_and_held_out_users_are_left_out(tmp_path):
    data = tmp_path / "h.jsonl"
    data.write_text("".join(json.dumps({"user_id": f"u{user:02d}", "text": "hello there",
                                        "timestamp": "2026-03-04T08:54:35Z"}) + "\n"
                            for user in range(40)))

    held_out = split_histories(data, eval_fraction=0.25, seed=3, skip_bad=False)
    validation = split_histories(data, eval_fraction=0.25, seed=3, skip_bad=False,
                                 validation=True)

    assert len(held_out.eval) == 10 and len(validation.eval) == 8
    assert set(validation.eval) | set(validation.train) == set(held_out.train)
    assert not set(validation.eval) & set(validation.train)
