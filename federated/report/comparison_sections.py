"""The report's sections on compared runs (`--compare`): privacy, attacks and defences,
unreliable devices and communication, built from report.json `experiments`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from federated.aggregators.names import MEAN
from federated.report.comparisons import TARGET_SHARE
from federated.report.document import Figure, Section, Table, percent

_CHANGES_SHOWN = 4  # Settings listed per run in the overview before "...".


def _ratio(value: float) -> str:
    return f"{value:.3f}"


def _changes(row: Mapping[str, Any]) -> str:
    changes = [f"{name}={value}" for name, value in row["changes"].items()]
    if not changes:
        return "(reference)"
    shown = ", ".join(changes[:_CHANGES_SHOWN])
    return shown + (", ..." if len(changes) > _CHANGES_SHOWN else "")


def _rounds(row: Mapping[str, Any]) -> str:
    reached = row["rounds_to_target"]
    return f"not in {row['rounds_completed']}" if reached is None else str(reached)


def experiment_sections(report: Mapping[str, Any]) -> list[Section]:
    """The sections on compared runs, or one saying how to add them."""
    experiments = report["experiments"]
    if experiments is None:
        return [Section("Privacy, attacks, devices and communication", [
            "No runs compared. `python -m federated.report RUN_DIR --compare OTHER_RUN ...` "
            "compares runs of the same data and seed that turn on differential privacy, "
            "attacks and defences, dropout or compression (`make experiments` trains a "
            "suite of them)."])]
    reference, runs = experiments["reference"], experiments["runs"]
    sections = [_overview(report, reference, runs)]
    for group, build in (("privacy", _privacy), ("attacks", _attacks),
                         ("devices", _devices), ("communication", _communication)):
        members = [row for row in runs if group in row["groups"]]
        if members:
            sections.append(build(experiments, reference, members))
    return sections


def _overview(report: Mapping[str, Any], reference: Mapping[str, Any],
              runs: Sequence[Mapping[str, Any]]) -> Section:
    target = report["experiments"]["target_top1_recall"]
    return Section("Compared runs", [
        f"Runs of the same data, seed and held-out users as {reference['run']}, each with "
        "the settings it changes. Recall is the trainer's evaluation of each run's final "
        "model on the held-out users. Rounds to target: the first evaluated round with "
        f"top-1 recall >= {percent(target)} ({TARGET_SHARE:.0%} of the reference's final "
        "recall); evaluation runs every few rounds, so this is an upper bound at that "
        "resolution.",
        Table(["Run", "Changes", "Top-1 recall", "Top-3 recall", "Top-1 vs reference",
               "Rounds to target"],
              [[row["run"], _changes(row), percent(row["top1_recall"]),
                percent(row["top3_recall"]), _ratio(row["top1_vs_reference"]), _rounds(row)]
               for row in (reference, *runs)]),
        Figure(report["plots"]["experiments"],
               "Held-out top-1 recall by round of every compared run"
               + (", and recall against epsilon" if any(r["dp"] for r in runs) else "")),
    ])


def _privacy(experiments: Mapping[str, Any], reference: Mapping[str, Any],
             runs: Sequence[Mapping[str, Any]]) -> Section:
    rows = [[reference["run"], "none", "-", "no guarantee", "-", "no",
             percent(reference["top1_recall"]), "1.000"]]
    for row in runs:
        dp = row["dp"]
        rows.append([row["run"], dp["mechanism"] if dp else "none",
                     f"{dp['noise_multiplier']:g}" if dp else "-",
                     f"{dp['epsilon']:.3g}" if dp else "no guarantee",
                     f"{dp['delta']:.2g}" if dp else "-",
                     "yes" if row["secure_aggregation"] else "no",
                     percent(row["top1_recall"]), _ratio(row["top1_vs_reference"])])
    return Section("Privacy", [
        "User-level differential privacy: (epsilon, delta) from `dp_accounting`'s RDP "
        "accountant for the sampling each run used, over all its rounds; a neighbouring "
        "population differs in one user's whole history. Secure aggregation changes what "
        "the server sees, not the model (the simulation has no cryptography).",
        Table(["Run", "DP mechanism", "Noise multiplier", "Epsilon", "Delta",
               "Secure aggregation", "Top-1 recall", "Top-1 vs no DP"], rows),
    ])


def _attacks(experiments: Mapping[str, Any], reference: Mapping[str, Any],
             runs: Sequence[Mapping[str, Any]]) -> Section:
    rows = []
    for row in runs:
        attack, backdoor = row["attack"], row["attack"]["backdoor"]
        rows.append([
            row["run"], attack["attack"],
            f"{percent(attack['malicious_fraction'])} ({attack['malicious_updates']} updates)",
            attack["defence"] + (f" ({attack['left_out_updates']} updates left out)"
                                 if attack["left_out_updates"] is not None else ""),
            percent(row["top1_recall"]), _ratio(row["top1_vs_reference"]),
            f"{percent(backdoor['success_top1'])} / {percent(backdoor['success_top3'])}"
            if backdoor else "-",
            f"{percent(backdoor['benign_top1'])} / {percent(backdoor['benign_top3'])}"
            if backdoor else "-",
            ("meets" if attack["meets_goal"] else "misses")
            if attack["aggregator"] != MEAN else "(no defence)"])
    goals = experiments["goals"]["defence"]
    verdicts = "; ".join(f"{attack}: {'a defence meets it' if met else 'no defence meets it'}"
                         for attack, met in goals.items())
    backdoors = ", ".join(f'"{key}"' for key in experiments["benign_backdoor"])
    return Section("Attacks and defences", [
        "Malicious clients boost their update (model poisoning) or train on poisoned data "
        f"that plants a backdoor ({backdoors or 'none here'}). Backdoor success: how often "
        "the target is the first / among the three suggestions after held-out message "
        f"beginnings followed by the trigger; the benign rate is {reference['run']}'s model "
        "on the same contexts. Goal for a defence against 10% attackers: clean top-1 recall "
        ">= 0.95 x the benign run and backdoor success (top-1 and top-3) within 5 points "
        f"of the benign rate. {verdicts or 'No defended run'}.",
        Table(["Run", "Attack", "Malicious share", "Defence (aggregator)", "Top-1 recall",
               "Top-1 vs benign", "Backdoor success top-1 / top-3",
               "Benign rate top-1 / top-3", "Goal"], rows),
    ])


def _devices(experiments: Mapping[str, Any], reference: Mapping[str, Any],
             runs: Sequence[Mapping[str, Any]]) -> Section:
    def line(row: Mapping[str, Any]) -> list[str]:
        devices = row["devices"]
        return [row["run"], f"{devices['dropout_rate']:g}",
                "yes" if devices["eligibility"] else "no",
                f"{devices['dropped']} of {devices['sampled']}",
                percent(row["top1_recall"]), _ratio(row["top1_vs_reference"]), _rounds(row)]

    return Section("Unreliable devices", [
        "Sampled devices that fail mid-round (dropout) send nothing; the round aggregates "
        "the survivors. With eligibility, only phones idle, charging and on wifi at the "
        "round's simulated time are sampled.",
        Table(["Run", "Dropout rate", "Eligibility", "Updates lost", "Top-1 recall",
               "Top-1 vs reference", "Rounds to target"],
              [line(reference), *(line(row) for row in runs)]),
    ])


def _communication(experiments: Mapping[str, Any], reference: Mapping[str, Any],
                   runs: Sequence[Mapping[str, Any]]) -> Section:
    def line(row: Mapping[str, Any]) -> list[str]:
        upload = row["communication"]
        bits = upload["bits"]
        return [row["run"], "float32" if bits is None else f"{bits}-bit quantized",
                f"{upload['bytes_per_update']:,}",
                f"{upload['uncompressed_bytes_per_update'] / upload['bytes_per_update']:.2f}x",
                percent(row["top1_recall"]), _ratio(row["top1_vs_reference"])]

    return Section("Communication", [
        "Bytes one client uploads per round: the trained model's update encoded as in "
        "training (measured, not estimated).",
        Table(["Run", "Upload encoding", "Bytes per update", "Smaller by", "Top-1 recall",
               "Top-1 vs reference"], [line(reference), *(line(row) for row in runs)]),
    ])
