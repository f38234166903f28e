"""The report's personalization section, from report.json's `personalization` (pure Python)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from federated.report.document import Figure, Section, Table, percent

PERSONALIZATION_COMMAND = "python -m federated.report.personalization RUN_DIR"


def _row(label: str, figures: Mapping[str, Any]) -> list[str]:
    return [label, str(figures["users"]), percent(figures["global_top1_recall"]),
            percent(figures["personal_top1_recall"]),
            f"{figures['mean_relative_top1_gain']:+.1%}", percent(figures["share_gaining"]),
            percent(figures["share_losing_over_1pt"])]


HEADER = ["Users", "Users", "Global top-1", "Personal top-1", "Relative gain", "Gaining",
          "Losing > 1 point"]


def personalization_section(report: Mapping[str, Any]) -> Section:
    """Federated evaluation of personalization: headline, breakdowns, grid, histogram."""
    p13n = report.get("personalization")
    if not p13n:
        return Section("Personalization", [
            f"Not measured for this model version: run `{PERSONALIZATION_COMMAND}`, then this "
            "report again."])
    chosen = p13n["hyperparameters"]
    settings = p13n["settings"]
    grid = sorted(p13n["grid"], key=lambda row: -row["mean_relative_top1_gain"])
    return Section("Personalization", [
        f"Federated evaluation (Wang et al. 2019): each held-out user's history is split by "
        f"time; the global model and the personal one (fine-tuned on the older messages, at "
        f"most {chosen['max_messages']}) are scored on the newest "
        f"{percent(settings['scored_fraction'])} of the messages; only counts leave the "
        f"devices. {_as_served(p13n.get('network_weight'))} Settings chosen on "
        f"{p13n['selection_users']} training users: SGD, "
        f"learning rate {chosen['learning_rate']:g}, {chosen['epochs']} epoch(s), trainable "
        f"`{chosen['trainable']}`, interpolation {chosen['interpolation']:g}; personalization "
        f"off below {chosen['min_messages']} messages. The word cache counts "
        f"{'every word' if settings.get('cache_all_words') else 'the out-of-vocabulary words'}"
        " each user typed in the older messages and takes the first slot when its probability "
        "beats the model's.",
        Table(["Model on the device", *HEADER[1:]], [
            _row("Personal model", p13n),
            _row("Personal model + word cache", p13n["with_word_cache"]),
            _row("Global model + word cache", p13n["word_cache_with_global_model"])]),
        "By activity (terciles of messages typed):",
        Table(["Tercile", *HEADER[1:]], [
            _row(f"{name} ({low}-{high} messages)", figures)
            for name, figures in p13n["by_activity"].items()
            for low, high in [figures["messages"]]]),
        "By amount of personal data (everyone personalized), to choose when to switch it on:",
        Table(["Personal messages", *HEADER[1:]],
              [_row(name, figures) for name, figures in p13n["by_personal_messages"].items()]),
        "The grid on training users, best first (top 10):",
        Table(["Learning rate", "Epochs", "Trainable", "Interpolation", "Relative gain",
               "Losing > 1 point"],
              [[f"{row['learning_rate']:g}", str(row["epochs"]), row["trainable"],
                f"{row['interpolation']:g}", f"{row['mean_relative_top1_gain']:+.1%}",
                percent(row["share_losing_over_1pt"])] for row in grid[:10]]),
        *([Figure(report["plots"]["personalization"],
                  "Per-user top-1 gain on held-out users, in points")]
          if "personalization" in report.get("plots", {}) else []),
    ])


def _as_served(network_weight: float | None) -> str:
    if network_weight is None:  # Written before the evaluation scored the models as served.
        return "Both networks are scored alone."
    if network_weight == 1:
        return "Both are scored as served: the network alone."
    return ("Both are scored as served: each network interpolated with the export's n-gram, "
            f"at network weight {network_weight:g}.")
