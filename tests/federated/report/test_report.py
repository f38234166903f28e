"""The report CLI on a real toy run: every model and key of the contract, plots that exist,
the same numbers twice, the centralized baseline reused, a compared run's sections, and
one-line errors."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from data.device_logs import DeviceStore, Impression, Message
from data.records import write_records
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records
from federated.report.cli import main as report_main
from federated.training.run_dir import RUN_FORMAT
from tests.paths import REPO

CONTRACT_MODELS = ("federated", "centralized", "ngram", "unigram")
MODEL_KEYS = ("top1_recall", "top3_recall", "top1_recall_without_oov")


def run_report(*args: str) -> subprocess.CompletedProcess:
    # A separate process: the report's eager Keras models never share a process with the
    # TFF computations traced by the training above.
    return subprocess.run([sys.executable, "-m", "federated.report", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600)


# What the compared run changes: DP, a backdoor attack and dropout at once (the toy
# vocabulary has "tonight" but not the default target).
COMPARED_ARGS = ["--dp-noise-multiplier", "0.5", "--attack", "backdoor",
                 "--malicious-fraction", "0.2", "--backdoor-target", "tonight",
                 "--dropout-rate", "0.3"]


@pytest.fixture(scope="module")
def toy_runs(tmp_path_factory) -> tuple[Path, Path]:
    """The reported run and a run of the same data and seed to compare with it."""
    pytest.importorskip("tensorflow_federated")
    from federated.train import main as train_main
    from tests.federated.training.test_run import TOY_ARGS

    data = tmp_path_factory.mktemp("data") / "histories.jsonl"
    write_records(data, generate_records(GenerationConfig(users=12, seed=3, mean_messages=12)))
    runs = tmp_path_factory.mktemp("toy")
    for name, extra in (("run", []), ("compared", COMPARED_ARGS)):
        assert train_main(["--data", str(data), "--out", str(runs / name), *TOY_ARGS,
                           "--rounds", "2", *extra]) == 0
    return runs / "run", runs / "compared"


@pytest.fixture(scope="module")
def toy_run(toy_runs) -> Path:
    return toy_runs[0]


@pytest.fixture(scope="module")
def device_logs(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("devices")
    store = DeviceStore(directory)
    store.device("phone").record([
        Impression(event_id="i1", model_version="v", position=4, suggestions=("you", "a", "b")),
        Message(event_id="m1", text="see you soon")])
    store.close()
    return directory


@pytest.fixture(scope="module")
def report_args(toy_runs, device_logs) -> list[str]:
    run, compared = toy_runs
    return [str(run), "--device-logs", str(device_logs), "--compare", str(compared)]


@pytest.fixture(scope="module")
def reported(toy_run, report_args) -> tuple[dict, subprocess.CompletedProcess]:
    done = run_report(*report_args)
    assert done.returncode == 0, done.stderr
    return json.loads((toy_run / "report" / "report.json").read_text()), done


@pytest.mark.slow
def test_report_json_has_every_model_and_key_of_the_contract(reported):
    report, _ = reported

    for name in CONTRACT_MODELS:
        for key in MODEL_KEYS:
            assert 0.0 <= report["models"][name][key] <= 1.0, (name, key)
        assert report["models"][name]["top3_recall"] >= report["models"][name]["top1_recall"]
    assert 0.0 <= report["evaluation"]["oov_rate"] <= 1.0
    assert set(report["ratios"]) == {"federated_over_centralized_top1",
                                     "federated_over_ngram_top1"}
    interpolation = report["interpolation"]
    sweep = {row["network_weight"]: row for row in interpolation["sweep"]}
    for name in ("federated", "centralized"):  # The ends of the sweep are each model alone.
        assert sweep[0.0][name]["top1_recall"] == pytest.approx(
            report["models"]["ngram"]["top1_recall"])
        assert sweep[1.0][name]["top1_recall"] == pytest.approx(
            report["models"][name]["top1_recall"])
    assert interpolation["network_weight"] == 0.5  # The toy run's export: the default.
    assert interpolation["ngram_table_bytes"] > 0
    assert set(report["prefix_completion"]["federated"]) == {"1", "2", "3"}
    assert report["by_topic"]["federated"]  # The generator labels messages with topics.
    assert report["live"]["impression_recall"] == 0.5  # "you" was in its strip, "soon" had none.
    assert report["provenance"]["data_sha256"] and report["provenance"]["seed"] == 4


@pytest.mark.slow
def test_html_and_markdown_reference_plots_that_exist(reported, toy_run):
    report, _ = reported
    report_dir = toy_run / "report"
    page = (report_dir / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)

    assert sorted(images) == sorted(report["plots"].values())
    for image in images:
        assert (report_dir / image).read_bytes().startswith(b"\x89PNG")
    assert "http" not in page.lower().replace("http-equiv", "")  # Self-contained.
    markdown = (report_dir / "report.md").read_text()
    assert all(f"]({image})" in markdown for image in images)
    assert "| Model | Top-1 recall | Top-3 recall |" in markdown


@pytest.mark.slow
def test_second_report_reuses_the_baseline_and_gives_the_same_numbers(reported, toy_run,
                                                                     report_args):
    report, first = reported
    weights = toy_run / "report" / "centralized" / "weights.npz"
    trained_at = weights.stat().st_mtime_ns

    again = run_report(*report_args)

    assert again.returncode == 0, again.stderr
    assert "centralized baseline" in first.stderr  # The progress bar of its training.
    assert "centralized baseline" not in again.stderr
    assert weights.stat().st_mtime_ns == trained_at
    assert json.loads((toy_run / "report" / "report.json").read_text()) == report


@pytest.mark.slow
def test_compared_run_is_placed_in_its_sections_with_its_figures(reported, toy_runs):
    report, _ = reported
    experiments = report["experiments"]
    (row,) = experiments["runs"]
    compared_summary = json.loads((toy_runs[1] / "summary.json").read_text())

    assert row["run"] == "compared"
    assert row["changes"] == {"dp_noise_multiplier": 0.5, "attack": "backdoor",
                              "malicious_fraction": 0.2, "target": "tonight",
                              "dropout_rate": 0.3}
    assert row["groups"] == ["privacy", "attacks", "devices"]
    assert row["top1_recall"] == compared_summary["top1_recall"]
    assert row["dp"]["epsilon"] == compared_summary["dp"]["epsilon"] > 0
    benign = experiments["benign_backdoor"]["best pizza in -> tonight"]
    assert 0 <= benign["top1"] <= benign["top3"] <= 1
    assert row["attack"]["backdoor"]["benign_top3"] == benign["top3"]
    markdown = (toy_runs[0] / "report" / "report.md").read_text()
    for title in ("Compared runs", "Privacy", "Attacks and defences", "Unreliable devices"):
        assert f"\n## {title}\n" in markdown
    assert "## Communication" not in markdown  # Nothing compared changes uploads.


@pytest.mark.slow
def test_a_run_of_other_data_is_refused_in_one_line(toy_runs, tmp_path, capsys):
    run, compared = toy_runs
    other = tmp_path / "other"
    shutil.copytree(compared, other)
    summary = json.loads((other / "summary.json").read_text())
    (other / "summary.json").write_text(json.dumps({**summary, "data_sha256": "0" * 64}))

    assert report_main([str(run), "--compare", str(other)]) == 2
    error = capsys.readouterr().err
    assert "--compare other: not scored on the same held-out examples" in error
    assert error.count("\n") == 1


def test_missing_run_dir_is_one_line_and_exit_code_2(tmp_path, capsys):
    assert report_main([str(tmp_path / "nothing")]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


def test_unfinished_run_is_refused(tmp_path, capsys):
    (tmp_path / "config.json").write_text(json.dumps({"format": RUN_FORMAT}))

    assert report_main([str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert "training has not finished" in error and error.count("\n") == 1
