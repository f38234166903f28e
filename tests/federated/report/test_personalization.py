"""`python -m federated.report.personalization` on a real toy run: the contract's keys, the
section and the histogram, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from data.records import write_records
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records
from federated.report.personalization import call_groups, main, read_personalization
from tests.paths import REPO

TINY_GRID = ["--selection-users", "4", "--learning-rates", "0.5", "--epochs", "1",
             "--trainables", "bias,all", "--interpolations", "0.5,1.0",
             "--min-messages-candidates", "0,5", "--clients-per-call", "3"]


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory) -> Path:
    pytest.importorskip("tensorflow_federated")
    from federated.train import main as train_main
    from tests.federated.training.test_run import TOY_ARGS

    data = tmp_path_factory.mktemp("data") / "histories.jsonl"
    write_records(data, generate_records(GenerationConfig(users=12, seed=3, mean_messages=12)))
    run = tmp_path_factory.mktemp("toy") / "run"
    assert train_main(["--data", str(data), "--out", str(run), *TOY_ARGS, "--rounds", "1"]) == 0
    return run


@pytest.mark.slow
def test_the_command_writes_the_contract_keys_a_section_and_a_histogram(toy_run, tmp_path):
    # A separate process, as the report's: TFF traces graphs in it.
    done = subprocess.run([sys.executable, "-m", "federated.report.personalization",
                           str(toy_run), "--out", str(tmp_path), *TINY_GRID], cwd=REPO,
                          capture_output=True, text=True, timeout=900)

    assert done.returncode == 0, done.stderr
    found = json.loads((tmp_path / "personalization.json").read_text())
    for key in ("users", "mean_relative_top1_gain", "share_gaining", "share_losing_over_1pt",
                "hyperparameters"):
        assert key in found
    for key in ("mean_relative_top1_gain", "share_gaining", "share_losing_over_1pt"):
        assert key in found["with_word_cache"]
    assert found["users"] == len(found["per_user_gain_points"]) > 0
    assert found["hyperparameters"]["trainable"] in ("bias", "all")
    assert found["hyperparameters"]["min_messages"] in (0, 5)
    by_threshold = found["min_messages_choice"]["training_users"]
    assert set(by_threshold) == {"0", "5"}
    assert set(by_threshold["5"]) == {"mean_relative_top1_gain", "share_losing_over_1pt"}
    assert len(found["grid"]) == 2 * 2  # Two strategies, two interpolations.
    assert set(found["by_activity"]) <= {"light", "medium", "heavy"}
    assert (tmp_path / "personalization.png").stat().st_size > 0
    assert found["network_weight"] == 0.5  # The toy export serves its n-gram: scored so.
    assert "Per-user top-1 gain" in (tmp_path / "personalization.md").read_text()
    assert "interpolated with the export's n-gram, at network weight 0.5" in (
        tmp_path / "personalization.md").read_text()
    assert read_personalization(tmp_path, found["model_version"]) == found
    assert read_personalization(tmp_path, "another-version") is None


def test_bad_options_are_one_line_and_exit_code_2(tmp_path, capsys):
    assert main([str(tmp_path), "--scored-fraction", "1.5"]) == 2
    assert "--scored-fraction must be in (0, 1)" in capsys.readouterr().err
    assert main([str(tmp_path), "--trainables", "head"]) == 2
    assert "trainable must be one of" in capsys.readouterr().err
    assert main([str(tmp_path)]) == 2
    assert "not a finished training run" in capsys.readouterr().err


def test_calls_group_clients_by_count_and_by_the_bytes_of_their_ngram_rows():
    assert call_groups([10] * 7, max_clients=3, max_bytes=100) == [
        range(0, 3), range(3, 6), range(6, 7)]
    assert call_groups([40, 40, 40, 150, 10], max_clients=10, max_bytes=100) == [
        range(0, 2), range(2, 3), range(3, 4), range(4, 5)]  # One client over alone.
    assert call_groups([], max_clients=3, max_bytes=100) == []
