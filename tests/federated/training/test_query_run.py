"""The triggering trainer on the real TFF runtime, at toy size: loss falls, the held-out AUC
beats chance, the files follow the contract, a run killed with SIGKILL resumes to the result of
an uninterrupted one, and the report's section reads the run. Marked slow."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from data.records import TypingRecord
from federated.training.config import TrainConfig
from federated.training.query_config import QueryTrainConfig
from federated.training.query_workspace import prepare_query_workspace
from federated.training.workspace import Workspace, file_sha256, split_histories, texts_by_user
from model.click_metrics import threshold_for_share
from model.triggering_export import read_triggering_export
from model.triggering_training import log_examples, predict
from model.vocab import build_vocabulary
from tests.paths import REPO
from tests.query_world import write_query_world
from tests.worker_processes import worker_pids

pytest.importorskip("tensorflow_federated")

from federated.report.query_suggestions import query_suggestions  # noqa: E402
from federated.train_queries import main  # noqa: E402

pytestmark = pytest.mark.slow

SEED, EVAL_FRACTION = 4, 0.25
TOY = ["--seed", str(SEED), "--eval-fraction", str(EVAL_FRACTION), "--buckets", "4096",
       "--eval-every", "2", "--local-epochs", "2", "--batch-size", "8"]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> tuple[Path, list[str]]:
    """The data, and the arguments that train every training user in every round (so that
    the losses of rounds are comparable)."""
    data = write_query_world(tmp_path_factory.mktemp("world") / "h.jsonl", users=30, seed=3)
    users = len(prepare_query_workspace(
        data, tmp_path_factory.mktemp("probe") / "q",
        QueryTrainConfig(clients_per_round=1, seed=SEED, eval_fraction=EVAL_FRACTION),
        resume=False, skip_bad=False).train_impressions)
    return data, [*TOY, "--clients-per-round", str(users)]


def train(world, out: Path, *extra: str) -> dict:
    data, arguments = world
    assert main(["--data", str(data), "--out", str(out), *arguments, *extra]) == 0
    return json.loads((out / "summary.json").read_text())


def rows(out: Path) -> list[dict]:
    with (out / "metrics.csv").open() as handle:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(handle)]


def comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items()
            if k not in ("round_seconds", "seconds_this_invocation")}


@pytest.fixture(scope="module")
def straight(world, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("run") / "queries"
    return out, train(world, out, "--rounds", "4")


def test_loss_falls_auc_beats_chance_and_files_follow_the_contract(world, straight):
    out, summary = straight

    table = rows(out)
    assert list(table[0]) == ["round", "clients", "train_examples", "train_loss",
                              "eval_log_loss", "eval_auc", "eval_ctr_at_half", "sampled",
                              "dropped", "eligible"]
    assert [int(row["round"]) for row in table] == [1, 2, 3, 4]
    assert float(table[-1]["train_loss"]) < float(table[0]["train_loss"])
    assert table[0]["eval_auc"] == "" and table[1]["eval_auc"] != ""
    assert summary["auc"] > 0.5 and summary["rounds_completed"] == 4
    # AUC is the ranking check; on a toy held-out log the best-scored half's CTR may only tie.
    assert summary["ctr_at_half"] >= summary["show_always_ctr"]
    assert worker_pids(parent=os.getpid()) == []
    export = read_triggering_export(out / "model")
    assert export.version == summary["model_version"]
    assert export.threshold == summary["threshold"] and export.keep_share == 0.5
    config = json.loads((out / "config.json").read_text())
    assert set(config["logs_sha256"]) == {"impressions", "searches"}
    # The threshold keeps half of the training users' impressions, never the held-out ones'.
    workspace = prepare_query_workspace(world[0], out.parent / "again", QueryTrainConfig(
        seed=SEED, eval_fraction=EVAL_FRACTION, buckets=4096), resume=False, skip_bad=False)
    train_impressions = [i for user in workspace.train_impressions.values() for i in user]
    scores = predict(export.model, log_examples(train_impressions, export.model.config)[0])
    assert export.threshold == threshold_for_share(scores, 0.5)


def test_sigkill_after_round_2_then_resume_equals_the_straight_run(world, straight, tmp_path):
    straight_out, straight_summary = straight
    data, arguments = world
    out = tmp_path / "queries"
    trainer = subprocess.Popen(
        [sys.executable, "-m", "federated.train_queries", "--data", str(data), "--out",
         str(out), *arguments, "--rounds", "4"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not (out / "checkpoints" / "round_000002.npz").exists():
        assert trainer.poll() is None and time.monotonic() < deadline, trainer.communicate()
        time.sleep(0.05)
    trainer.send_signal(signal.SIGKILL)
    trainer.communicate(timeout=30)

    resumed = train(world, out, "--rounds", "4", "--resume")

    assert comparable(resumed) == comparable(straight_summary)
    assert rows(out) == rows(straight_out)
    np.testing.assert_array_equal(read_triggering_export(out / "model").model.weights,
                                  read_triggering_export(straight_out / "model").model.weights)


def test_the_report_section_scores_the_runs_model_on_the_same_held_out_impressions(
        world, straight):
    out, summary = straight
    data = world[0]
    config = TrainConfig(seed=SEED, eval_fraction=EVAL_FRACTION)
    split = split_histories(data, eval_fraction=config.eval_fraction, seed=config.seed,
                            skip_bad=False)
    records: dict[str, list[TypingRecord]] = split.eval
    workspace = Workspace(
        run_dir=out.parent, config=config, data_path=data, data_sha256=file_sha256(data),
        vocab=build_vocabulary(texts_by_user(split.train), size=50),
        train_texts=texts_by_user(split.train), eval_records=records, device_clients=(),
        resume_round=0)

    section = query_suggestions(out.parent, workspace)

    assert set(section["models"]) == {"federated", "centralized", "show_always", "oracle"}
    assert section["impressions"] == summary["eval_impressions"]
    assert section["models"]["federated"]["auc"] == pytest.approx(summary["auc"])
    assert section["models"]["show_always"]["auc"] == 0.5
    for scores in section["models"].values():
        assert set(scores) >= {"auc", "log_loss", "ctr", "ctr_at_half"}
    with pytest.raises(ValueError, match="held-out users differ"):
        query_suggestions(out.parent, Workspace(**{**workspace.__dict__,
                                                   "config": TrainConfig(seed=SEED + 1)}))
