"""Compared runs in the report: what each changed, the goals of a defence, and the sections
(pure Python, on hand-made run summaries)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Optional

import pytest

from federated.learning.options import RuntimeConfig
from federated.privacy.options import PrivacyConfig
from federated.report.comparison_sections import experiment_sections
from federated.report.comparisons import (
    CompletedRun,
    backdoor_key,
    backdoors_of,
    check_comparable,
    compare_runs,
    config_changes,
    read_completed_run,
    rounds_to_recall,
)
from federated.report.document import render_markdown
from federated.simulation.options import AttackConfig, DeviceConfig
from federated.training.config import TrainConfig
from federated.training.metrics_file import RoundMetrics, write_history
from federated.training.run_dir import RunDir, run_config_json
from federated.training.summary import attack_summary, devices_summary

BASE = TrainConfig(rounds=4, clients_per_round=20, seed=2, eval_every=2)
BACKDOOR = AttackConfig(attack="backdoor", malicious_fraction=0.1)
KEY = backdoor_key("best pizza in", "walmart")


def history(recalls: list[Optional[float]], dropped: int = 0,
            left_out: Optional[int] = None) -> list[RoundMetrics]:
    return [RoundMetrics(round=i + 1, seconds=1.0, clients=5 - dropped, train_examples=50,
                         train_loss=3.0, train_top1_recall=0.1, eval_top1_recall=recall,
                         sampled=5, dropped=dropped, malicious=1 if i % 2 else 0,
                         left_out=left_out)
            for i, recall in enumerate(recalls)]


def completed(name: str, config: TrainConfig, top1: float, *,
              recalls: Optional[list[Optional[float]]] = None,
              backdoor: Optional[tuple[float, float, int]] = None,
              dp: Optional[dict] = None, data: str = "abc") -> CompletedRun:
    rows = history(recalls or [None, top1 / 2, None, top1],
                   dropped=1 if config.devices.dropout_rate else 0,
                   left_out=1 if config.aggregator == "similarity-filter" else None)
    bits = config.privacy.compress_bits
    summary = {
        "data_sha256": data, "config": config.to_dict(), "top1_recall": top1,
        "top3_recall": top1 + 0.1, "dp": dp,
        "devices": devices_summary(config, rows),
        "attack": attack_summary(config, ["u1"] if config.attack.malicious_fraction else [],
                                 rows, backdoor_success=backdoor),
        "communication": {"bytes_per_update": 1000 if bits is None else 1000 * bits // 32,
                          "uncompressed_bytes_per_update": 1000},
    }
    return CompletedRun(name=name, config=config, summary=summary, history=rows)


def test_config_changes_names_only_what_differs_and_not_how_it_ran():
    other = dataclasses.replace(BASE, eval_every=1, runtime=RuntimeConfig(intra_op_threads=1),
                                devices=DeviceConfig(dropout_rate=0.3), aggregator="median",
                                network_weight=1.0)

    assert config_changes(BASE, other) == {"aggregator": "median", "dropout_rate": 0.3}
    assert config_changes(BASE, BASE) == {}


def test_rounds_to_recall_is_the_first_evaluated_round_at_the_target():
    rows = history([None, 0.2, None, 0.5, 0.4])

    assert rounds_to_recall(rows, 0.45) == 4
    assert rounds_to_recall(rows, 0.2) == 2
    assert rounds_to_recall(rows, 0.6) is None


def test_runs_of_other_data_or_another_split_are_refused():
    reference = completed("base", BASE, 0.5)
    other_data = completed("other", BASE, 0.5, data="xyz")
    other_seed = completed("seeded", dataclasses.replace(BASE, seed=3), 0.5)

    check_comparable(reference, completed("same", BASE, 0.4))
    with pytest.raises(ValueError, match=r"--compare other: .*data sha256 'abc' vs 'xyz'"):
        check_comparable(reference, other_data)
    with pytest.raises(ValueError, match="seed 2 vs 3"):
        check_comparable(reference, other_seed)


def test_a_directory_without_summary_is_not_a_finished_run(tmp_path):
    with pytest.raises(ValueError, match="not a finished training run"):
        read_completed_run(tmp_path)


def test_read_completed_run_reads_what_the_trainer_writes(tmp_path):
    run = completed("run", BASE, 0.5)
    files = RunDir(tmp_path)
    files.config.write_text(run_config_json(BASE.to_dict(), tmp_path, "abc"))
    files.summary.write_text(json.dumps(run.summary))
    write_history(files.metrics, run.history)

    again = read_completed_run(tmp_path)

    assert again.config == BASE and again.history == run.history
    assert again.name == Path(tmp_path).name


def attacked(aggregator: str, top1: float, success: tuple[float, float]) -> CompletedRun:
    config = dataclasses.replace(BASE, attack=BACKDOOR, aggregator=aggregator)
    return completed(f"backdoor-{aggregator}", config, top1, backdoor=(*success, 100))


def test_a_defence_meets_the_goal_only_keeping_recall_and_the_backdoor_out():
    reference = completed("base", BASE, 0.50)
    runs = [attacked("mean", 0.50, (0.00, 0.02)),      # Harmless here, but no defence.
            attacked("robust", 0.49, (0.80, 0.99)),    # Keeps recall, lets the backdoor in.
            attacked("median", 0.40, (0.00, 0.00)),    # Keeps it out, loses recall.
            attacked("trimmed-mean", 0.48, (0.03, 0.06)),  # Within 5 points on both.
            attacked("median", 0.48, (0.03, 0.08))]  # Top-3 6 points above the benign 2%.

    experiments = compare_runs(reference, runs, {KEY: (0.00, 0.02)})

    goals = [row["attack"]["meets_goal"] for row in experiments["runs"]]
    assert goals == [True, False, False, True, False]
    assert experiments["goals"]["defence"] == {"backdoor": True}
    assert experiments["benign_backdoor"] == {KEY: {"top1": 0.00, "top3": 0.02}}
    # Only the plain mean met it: no defence did.
    only_mean = compare_runs(reference, runs[:3], {KEY: (0.00, 0.02)})
    assert only_mean["goals"]["defence"] == {"backdoor": False}


def test_backdoors_of_lists_each_trigger_and_target_once():
    runs = [attacked("mean", 0.5, (0.1, 0.2)), attacked("robust", 0.5, (0.1, 0.2)),
            completed("base", BASE, 0.5)]

    assert backdoors_of(runs) == [("best pizza in", "walmart")]


def test_runs_fall_in_the_groups_of_what_they_change_with_their_figures():
    reference = completed("base", BASE, 0.50, recalls=[None, 0.42, None, 0.50])
    private = completed(
        "dp", dataclasses.replace(BASE, privacy=PrivacyConfig(dp_noise_multiplier=1.0)), 0.25,
        dp={"mechanism": "adaptive", "noise_multiplier": 1.0, "epsilon": 9.83,
            "delta": 1e-4})
    dropout = completed("drop", dataclasses.replace(BASE, devices=DeviceConfig(
        dropout_rate=0.3)), 0.46, recalls=[None, 0.30, None, 0.46])
    compressed = completed("c8", dataclasses.replace(
        BASE, privacy=PrivacyConfig(compress_bits=8)), 0.49)

    experiments = compare_runs(reference, [private, dropout, compressed], {})

    rows = {row["run"]: row for row in experiments["runs"]}
    assert {name: row["groups"] for name, row in rows.items()} == {
        "dp": ["privacy"], "drop": ["devices"], "c8": ["communication"]}
    assert rows["dp"]["top1_vs_reference"] == pytest.approx(0.5)
    assert experiments["target_top1_recall"] == pytest.approx(0.40)
    assert experiments["reference"]["rounds_to_target"] == 2
    assert rows["drop"]["rounds_to_target"] == 4 and rows["c8"]["rounds_to_target"] == 4
    assert rows["drop"]["devices"]["dropped"] == 4 and rows["drop"]["devices"]["sampled"] == 20
    assert experiments["goals"]["defence"] == {}

    markdown = render_markdown("t", experiment_sections(
        {"experiments": experiments, "plots": {"experiments": "experiments.png"}}))
    assert "| dp | adaptive | 1 | 9.83 | 0.0001 | no | 25.0% | 0.500 |" in markdown
    assert "| drop | 0.3 | no | 4 of 20 | 46.0% | 0.920 | 4 |" in markdown
    assert "| c8 | 8-bit quantized | 250 | 4.00x | 49.0% | 0.980 |" in markdown
    assert "## Attacks and defences" not in markdown  # No attacked run compared.


def test_attack_section_says_which_defence_meets_the_goal():
    experiments = compare_runs(completed("base", BASE, 0.50),
                               [attacked("robust", 0.49, (0.80, 0.99))], {KEY: (0.0, 0.02)})

    markdown = render_markdown("t", experiment_sections(
        {"experiments": experiments, "plots": {"experiments": "experiments.png"}}))

    assert ("| backdoor-robust | backdoor | 10.0% (2 updates) | norm clipping + zeroing | "
            "49.0% | 0.980 | 80.0% / 99.0% | 0.0% / 2.0% | misses |") in markdown
    assert "backdoor: no defence meets it." in markdown


def test_the_similarity_filter_row_says_how_many_updates_it_left_out():
    experiments = compare_runs(completed("base", BASE, 0.50),
                               [attacked("similarity-filter", 0.49, (0.0, 0.02))],
                               {KEY: (0.0, 0.02)})

    markdown = render_markdown("t", experiment_sections(
        {"experiments": experiments, "plots": {"experiments": "experiments.png"}}))

    assert ("| backdoor-similarity-filter | backdoor | 10.0% (2 updates) | norm clipping + "
            "zeroing + similarity filter (4 updates left out) | 49.0% | 0.980 | 0.0% / 2.0% "
            "| 0.0% / 2.0% | meets |") in markdown
    assert "backdoor: a defence meets it." in markdown


def test_without_compared_runs_the_report_says_how_to_add_them():
    sections = experiment_sections({"experiments": None})

    assert len(sections) == 1 and "--compare" in sections[0].blocks[0]


