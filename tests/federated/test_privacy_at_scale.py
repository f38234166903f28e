"""`python -m federated.privacy_at_scale` on hand-made finished runs: the cohort table, and
clear refusals of runs it cannot compare (pure Python)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Optional

import pytest

from federated.privacy.cohorts import interpolate_top1
from federated.privacy.options import PrivacyConfig
from federated.privacy_at_scale import main
from federated.training.config import TrainConfig
from federated.training.metrics_file import RoundMetrics, write_history
from federated.training.run_dir import RunDir, run_config_json

BASE = TrainConfig(rounds=3, clients_per_round=20, seed=1)


def finished_run(path: Path, top1: float, noise: Optional[float] = None, *,
                 clients: int = 20, mechanism: Optional[str] = None, **changes) -> Path:
    """A run directory as the trainer leaves it, with only what the command reads."""
    privacy = PrivacyConfig() if noise is None else PrivacyConfig(
        dp_noise_multiplier=noise, dp_mechanism=mechanism)
    config = dataclasses.replace(BASE, clients_per_round=clients, privacy=privacy, **changes)
    files = RunDir(path)
    path.mkdir()
    files.config.write_text(run_config_json(config.to_dict(), path, "abc"))
    files.summary.write_text(json.dumps({"data_sha256": "abc", "config": config.to_dict(),
                                         "top1_recall": top1, "rounds_completed": 3}))
    write_history(files.metrics, [
        RoundMetrics(round=r, seconds=1.0, clients=clients, train_examples=50, train_loss=3.0,
                     train_top1_recall=0.1, sampled=clients, dropped=0) for r in (1, 2, 3)])
    return path


@pytest.fixture()
def runs(tmp_path):
    return [finished_run(tmp_path / "benign", 0.5),
            finished_run(tmp_path / "dp-z0.1", 0.45, 0.1),
            finished_run(tmp_path / "dp-z1", 0.1, 1.0)]


@pytest.mark.slow  # The without-replacement accountant: seconds per cohort.
def test_prints_each_cohorts_noise_and_recall_against_the_run_without_dp(runs, capsys):
    assert main([*map(str, runs), "--users", "2000", "--epsilon", "8",
                 "--cohorts", "20,200,2000"]) == 0

    out = capsys.readouterr().out
    assert "without DP top-1 50.0%; z 0.1: 45.0%, z 1: 10.0%" in out
    rows = {int(line.split()[0].replace(",", "")): line.split()
            for line in out.splitlines()[3:]}
    assert sorted(rows) == [20, 200, 2000]
    for clients, (_, noise, same_noise, top1, share) in rows.items():
        assert float(same_noise) == pytest.approx(float(noise) * 20 / clients, abs=1e-3)
        expected = interpolate_top1([(0.1, 0.45), (1.0, 0.1)], float(same_noise))
        if expected is None:
            assert (top1, share) == ("-", "-")
        else:
            assert float(top1.rstrip("%")) == pytest.approx(100 * expected, abs=0.2)
            assert float(share) == pytest.approx(expected / 0.5, abs=0.01)
    assert any(top1 != "-" for _, _, _, top1, _ in rows.values())


@pytest.mark.parametrize("change, message", [
    (lambda tmp: finished_run(tmp / "other", 0.3, 0.5, clients=40),
     "40 clients a round for 3 rounds, the run without DP 20 for 3"),
    (lambda tmp: finished_run(tmp / "tree", 0.3, 0.5, mechanism="tree"),
     "holds for DP-FedAvg \\(adaptive\\) only"),
    (lambda tmp: finished_run(tmp / "benign-2", 0.5), "exactly one run without DP"),
    (lambda tmp: finished_run(tmp / "epochs", 0.3, 0.5, local_epochs=3),
     "epochs: changes more than the noise multiplier: local_epochs 3"),
    (lambda tmp: finished_run(tmp / "again", 0.3, 0.1),
     "two DP runs share a noise multiplier: \\[0.1, 0.1, 1.0\\]"),
])
def test_runs_that_cannot_be_compared_are_refused_in_one_line(runs, tmp_path, capsys, change,
                                                               message):
    assert main([*map(str, runs), str(change(tmp_path)), "--users", "2000"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert re.search(message, err)


@pytest.mark.parametrize("arguments", [["--users", "100", "--cohorts", "20,200"],
                                       ["--users", "1000", "--delta", "0"],
                                       ["--users", "1000", "--delta", "1"]])
def test_a_cohort_beyond_the_population_or_a_delta_outside_0_1_is_refused(runs, capsys,
                                                                         arguments):
    assert main([*map(str, runs), *arguments]) == 2
    assert "a cohort must not exceed --users, and --delta must be between 0 and 1" in (
        capsys.readouterr().err)


def test_a_missing_run_is_refused(tmp_path, capsys):
    assert main([str(tmp_path / "nothing"), "--users", "10000"]) == 2
    assert "not a finished training run" in capsys.readouterr().err
