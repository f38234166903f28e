"""The triggering run before TensorFlow: its settings, command line, workspace, metrics rows,
threshold rule and export (pure Python + numpy, fast)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from data.impressions import impressions_path, read_impressions
from data.records import group_by_user, read_records
from data.split import split_users
from federated.flags import FLAGS, QUERY_FLAGS
from federated.learning.options import OptimizerConfig
from federated.privacy.options import PrivacyConfig
from federated.simulation.sampling import RoundPlan
from federated.train_queries import build_parser, main
from federated.training.metrics_file import RoundOutcome, read_history, read_rows, write_rows
from federated.training.query_config import QueryTrainConfig
from federated.training.query_metrics import QueryRecorder, QueryRoundMetrics
from federated.training.query_workspace import prepare_query_workspace
from federated.training.run_dir import RunDir, RunFormatError
from model.click_metrics import threshold_for_share
from model.query_candidates import build_query_index
from model.triggering import TriggeringConfig, TriggeringModel
from model.triggering_export import read_triggering_export, write_triggering_export
from model.triggering_training import FeatureMatrix, logits
from tests.query_world import write_query_world


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return write_query_world(tmp_path_factory.mktemp("world") / "h.jsonl", users=20, seed=5)


def test_padded_rows_score_exactly_as_the_sparse_rows():
    matrix = FeatureMatrix(np.array([0, 3, 4, 4]), np.array([5, 1, 5, 7]),
                           np.array([1.0, 0.5, 2.0, 1.0]))
    weights = np.arange(8, dtype=np.float64) / 10

    indices, values = matrix.padded()

    assert indices.tolist() == [[5, 1, 5], [7, 0, 0], [0, 0, 0]]
    assert values.tolist() == [[1.0, 0.5, 2.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose((weights[indices] * values).sum(axis=1) + 0.3,
                               logits(weights, 0.3, matrix))


def test_the_threshold_keeps_at_least_the_share_asked_for():
    scores = [0.9, 0.1, 0.5, 0.7, 0.3]

    assert threshold_for_share(scores, 0.4) == 0.7
    assert threshold_for_share(scores, 0.5) == 0.5  # 2.5 rounds up to 3 kept.
    assert threshold_for_share(scores, 1.0) == 0.1
    with pytest.raises(ValueError, match="share"):
        threshold_for_share(scores, 0.0)


@pytest.mark.parametrize(("changes", "message"), [
    ({"buckets": 1000}, "--buckets must be a power of two"),
    ({"keep_share": 0.0}, "--keep-share must be in"),
    ({"aggregator": "median"}, "--aggregator must be one of"),
    ({"rounds": 0}, "--rounds must be >= 1"),
    ({"privacy": PrivacyConfig(dp_noise_multiplier=0.1),
      "optimizers": OptimizerConfig(client_lr_half_life=50)},
     "--client-lr-half-life cannot be combined with --dp-noise-multiplier"),
])
def test_bad_settings_are_refused_naming_the_flag(changes, message):
    with pytest.raises(ValueError, match=message):
        QueryTrainConfig(**changes)


def test_every_setting_has_a_flag_in_the_tables_and_the_parser():
    options = {option for action in build_parser()._actions for option in action.option_strings}
    config = QueryTrainConfig().to_dict()
    settings = {f"{name}.{inner}" if isinstance(value, dict) else name
                for name, value in config.items()
                for inner in (value if isinstance(value, dict) else [None])}
    # Not settable here: the worker's start-up timeout, and compression (refused).
    settings -= {"runtime.startup_seconds", "privacy.compress_bits"}
    flags = {**FLAGS, **QUERY_FLAGS}

    assert settings <= set(flags)
    assert {flags[name] for name in settings} <= options


def test_config_survives_its_json_round_trip():
    config = QueryTrainConfig(rounds=7, seed=3, buckets=256, keep_share=0.4)

    assert QueryTrainConfig.from_dict(config.to_dict()) == config


def test_missing_logs_are_refused_in_one_line_before_tensorflow(tmp_path, capsys):
    histories = tmp_path / "h.jsonl"
    histories.write_text('{"user_id": "u1", "text": "hi"}\n{"user_id": "u2", "text": "yo"}\n')

    with pytest.raises(SystemExit) as stopped:
        main(["--data", str(histories), "--out", str(tmp_path / "run")])

    assert stopped.value.code == 2
    assert "no impressions log" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_the_workspace_holds_out_the_users_the_next_word_run_holds_out(world, tmp_path):
    config = QueryTrainConfig(clients_per_round=2, seed=4, eval_fraction=0.25, buckets=256)

    workspace = prepare_query_workspace(world, tmp_path / "q", config, resume=False,
                                        skip_bad=False)

    split = split_users(group_by_user(read_records(world).records), eval_fraction=0.25, seed=4)
    assert set(workspace.train_impressions) <= set(split.train)
    assert set(workspace.eval_impressions) <= set(split.eval) and workspace.eval_impressions
    logged = read_impressions(impressions_path(world)).impressions
    assert sum(map(len, workspace.train_impressions.values())) + sum(
        map(len, workspace.eval_impressions.values())) == len(logged)
    assert RunDir(tmp_path / "q").config.is_file()
    with pytest.raises(ValueError, match="already holds a run"):
        prepare_query_workspace(world, tmp_path / "q", config, resume=False, skip_bad=False)
    with pytest.raises(ValueError, match=r"other settings \(seed: 4 saved, 5 now\)"):
        prepare_query_workspace(world, tmp_path / "q", QueryTrainConfig(
            clients_per_round=2, seed=5, eval_fraction=0.25, buckets=256), resume=True,
            skip_bad=False)


def test_rows_round_trip_and_the_next_word_reader_refuses_them(tmp_path):
    plan = RoundPlan(sampled=["a", "b", "c"], trained=["a", "c"])
    recorder = QueryRecorder()
    rows = [recorder.row(RoundOutcome(round=1, seconds=0.5, plan=plan,
                                      train={"loss": 0.3, "num_examples": 12},
                                      aggregator=None)),
            recorder.row(RoundOutcome(round=2, seconds=0.25, plan=RoundPlan([], []),
                                      train={}, aggregator=None))]
    path = tmp_path / "metrics.csv"

    write_rows(path, rows, QueryRoundMetrics)

    assert read_rows(path, QueryRoundMetrics)[0] == rows[0]
    assert rows[0].clients == 2 and rows[0].dropped == 1 and rows[0].eval_auc is None
    assert rows[1].train_examples == 0 and math.isnan(rows[1].train_loss)
    with pytest.raises(RunFormatError):
        read_history(path)


def test_an_export_is_versioned_linked_and_loads_as_written(tmp_path):
    config = TriggeringConfig(buckets=16)
    model = TriggeringModel(config, np.linspace(-1, 1, 16), -2.0)
    index = build_query_index([("u1", "pizza near me", None), ("u2", "pizza near me", None)])

    version = write_triggering_export(tmp_path, model, index, threshold=0.12, keep_share=0.5,
                                      label="r0003", metadata={"rounds": 3})
    again = write_triggering_export(tmp_path, model, index, threshold=0.12, keep_share=0.5,
                                    label="r0003", metadata={"rounds": 3})
    loaded = read_triggering_export(tmp_path / "model")

    assert version == again and version.startswith("r0003-")
    assert loaded.version == version and loaded.threshold == 0.12
    np.testing.assert_array_equal(loaded.model.weights, model.weights)
    assert loaded.model.bias == -2.0 and "pizza near me" in loaded.candidates
    assert (tmp_path / "model").resolve() == (tmp_path / "exports" / version).resolve()
