"""The experiment suites' driver: which runs it trains, which it reuses, and its errors
(the training itself is the trainer's, tested elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from federated.experiments import BENIGN, SUITES, is_finished, main, train_arguments
from federated.train import build_parser, config_from_args


def finished_run(run_dir: Path, arguments: list[str], **config_changes) -> None:
    config = config_from_args(build_parser().parse_args(arguments)).to_dict()
    run_dir.mkdir(parents=True)
    (run_dir / "summary.json").write_text(json.dumps(
        {"config": {**config, **config_changes}, "rounds_completed": config["rounds"]}))


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_every_run_of_every_suite_is_a_valid_training_command(suite, tmp_path):
    for run in SUITES[suite].runs:
        arguments = train_arguments(tmp_path / "h.jsonl", tmp_path / run, SUITES[suite], run)
        config_from_args(build_parser().parse_args(arguments))  # Raises if invalid.
    assert BENIGN in SUITES[suite].runs and SUITES[suite].runs[BENIGN] == ()


def test_a_finished_run_of_the_same_settings_is_reused_and_no_other(tmp_path):
    suite = SUITES["robustness"]
    arguments = train_arguments(tmp_path / "h.jsonl", tmp_path / "median", suite, "boost-median")

    assert not is_finished(arguments, tmp_path / "median")
    finished_run(tmp_path / "median", arguments)
    assert is_finished(arguments, tmp_path / "median")
    finished_run(tmp_path / "other", arguments, aggregator="robust")
    assert not is_finished(arguments, tmp_path / "other")


def test_a_run_that_stopped_early_is_not_finished(tmp_path):
    suite = SUITES["privacy"]
    arguments = train_arguments(tmp_path / "h.jsonl", tmp_path / "z1", suite, "dp-z1")
    finished_run(tmp_path / "z1", arguments)
    summary = json.loads((tmp_path / "z1" / "summary.json").read_text())
    (tmp_path / "z1" / "summary.json").write_text(json.dumps({**summary,
                                                              "rounds_completed": 40}))

    assert not is_finished(arguments, tmp_path / "z1")


def test_unknown_runs_and_missing_data_are_refused_before_training(tmp_path, capsys):
    (tmp_path / "h.jsonl").write_text("")

    assert main(["privacy", "--data", str(tmp_path / "h.jsonl"), "--out", str(tmp_path),
                 "--only", "dp-z9"]) == 2
    assert "--only dp-z9: not runs of the privacy suite" in capsys.readouterr().err
    assert main(["privacy", "--data", str(tmp_path / "none.jsonl"), "--out",
                 str(tmp_path)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not any(path.is_dir() for path in tmp_path.iterdir())


def test_finished_runs_are_reused_without_training(tmp_path, capsys):
    data = tmp_path / "h.jsonl"
    data.write_text("")
    suite = SUITES["privacy"]
    for run in ("dp-z1", "dp-z2"):
        finished_run(tmp_path / run, train_arguments(data, tmp_path / run, suite, run))

    assert main(["privacy", "--data", str(data), "--out", str(tmp_path),
                 "--only", "dp-z1", "dp-z2"]) == 0
    assert capsys.readouterr().out.splitlines() == ["[1/2] dp-z1: finished, reused",
                                                    "[2/2] dp-z2: finished, reused"]


def test_the_recipe_suite_never_scores_the_held_out_users(tmp_path):
    suite = SUITES["recipe"]
    for run in suite.runs:
        arguments = train_arguments(tmp_path / "h.jsonl", tmp_path / run, suite, run)
        assert config_from_args(build_parser().parse_args(arguments)).validation, run
