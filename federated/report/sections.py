"""What the report says: the sections of report.md / index.html, built from report.json."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from federated.report.comparison_sections import experiment_sections
from federated.report.document import Figure, Section, Table, percent
from federated.report.personalization_section import personalization_section
from federated.report.query_suggestions import query_section

# Hard et al. 2018, "Federated Learning for Mobile Keyboard Prediction", Table 2.
HARD_ET_AL_2018 = {
    "n-gram": {"top1_recall": 0.130, "top3_recall": 0.221},
    "server CIFG": {"top1_recall": 0.165, "top3_recall": 0.271},
    "federated CIFG": {"top1_recall": 0.164, "top3_recall": 0.270},
}
MODEL_LABELS = {"federated": "Federated CIFG", "centralized": "Server CIFG (centralized)",
                "ngram": "N-gram (Kneser-Ney)", "unigram": "Unigram (most frequent words)"}


def build_sections(report: Mapping[str, Any]) -> list[Section]:
    """Every section of the report, in reading order."""
    return [_comparison(report), _interpolation(report), _learning(report), _per_user(report),
            _topics(report),
            _prefix(report), personalization_section(report), _live(report),
            query_section(report), *experiment_sections(report),
            _provenance(report)]


def _comparison(report: Mapping[str, Any]) -> Section:
    models, evaluation, ratios = report["models"], report["evaluation"], report["ratios"]
    ours = Table(["Model", "Top-1 recall", "Top-3 recall", "Top-1 recall without OOV"],
                 [[MODEL_LABELS[name], percent(scores["top1_recall"]),
                   percent(scores["top3_recall"]),
                   percent(scores["top1_recall_without_oov"])]
                  for name, scores in models.items()])
    theirs = Table(["Model (Hard et al. 2018)", "Top-1 recall", "Top-3 recall"],
                   [[name, percent(scores["top1_recall"]), percent(scores["top3_recall"])]
                    for name, scores in HARD_ET_AL_2018.items()])
    goals = "; ".join(f"{name.replace('_', ' ')} {goal['value']:.3f} "
                      f"({'meets' if goal['met'] else 'misses'} the goal >= {goal['target']})"
                      for name, goal in report["goals"].items())
    return Section("Model comparison", [
        f"All models are scored on the same {evaluation['scored_words']} words typed by "
        f"{evaluation['users']} held-out users ({evaluation['messages']} messages), never "
        f"trained on. Out-of-vocabulary rate of these words: "
        f"{percent(evaluation['oov_rate'])} (OOV words count as misses). "
        f"{percent(evaluation['messages_seen_in_training'])} of the held-out messages occur "
        "word for word in the training data.",
        ours,
        f"Ratios (top-1): federated / centralized = "
        f"{ratios['federated_over_centralized_top1']:.3f}, federated / n-gram = "
        f"{ratios['federated_over_ngram_top1']:.3f}. Goals: {goals}.",
        "For reference, Hard et al. 2018 (Gboard, English, live traffic): federated / server "
        "= 0.994, federated / n-gram = 1.26.",
        theirs,
        Figure(report["plots"]["models"], "Top-1 and top-3 recall of every model"),
    ])


def _interpolation(report: Mapping[str, Any]) -> Section:
    interpolation = report["interpolation"]
    weight, ratios = interpolation["network_weight"], interpolation["ratios"]
    at_weight = Table(["Model", "Top-1 recall", "Top-3 recall", "Top-1 recall without OOV"],
                      [[f"{MODEL_LABELS[name]} + n-gram", percent(scores["top1_recall"]),
                        percent(scores["top3_recall"]),
                        percent(scores["top1_recall_without_oov"])]
                       for name, scores in interpolation["models"].items()])
    names = list(interpolation["models"])
    sweep = Table(["Network weight", *(f"{MODEL_LABELS[name]} + n-gram, top-1"
                                       for name in names)],
                  [[f"{row['network_weight']:g}",
                    *(percent(row[name]["top1_recall"]) for name in names)]
                   for row in interpolation["sweep"]])
    served = (
        "the weight of the run's export (`federated.train --network-weight`, whose default "
        "was chosen on validation users), which the keyboard serves with the export's n-gram "
        "(in a run retrained on device logs it counts their messages too), whose tables "
        f"take {interpolation['ngram_table_bytes'] / 2 ** 20:.1f} MiB on the device"
        if weight < 1 else
        "the run's export serves the network alone (its weight is 1: the default with DP or an "
        f"attack); an n-gram of the training users would take "
        f"{interpolation['ngram_table_bytes'] / 2 ** 20:.1f} MiB")
    return Section("Interpolation with the n-gram", [
        f"Each network's next-word probabilities mixed with the n-gram's: {weight:g} x "
        f"network + {1 - weight:g} x n-gram; {served}. The n-gram's counts are sums over the "
        "training users' messages, which a federated sum computes exactly, but no differential "
        "privacy covers them and no aggregator defends them against poisoned messages.",
        at_weight,
        f"Ratios (top-1): interpolated federated / n-gram = "
        f"{ratios['federated_over_ngram_top1']:.3f}, interpolated federated / interpolated "
        f"centralized = {ratios['federated_over_centralized_top1']:.3f}.",
        "Top-1 recall by weight on the same users (0: the n-gram alone; 1: the network "
        "alone). It shows how much the weight matters; it is not how the weight is chosen.",
        sweep,
    ])


def _learning(report: Mapping[str, Any]) -> Section:
    run = report["run"]
    return Section("Learning curves", [
        f"{run['rounds_completed']} rounds, {run['train_examples_processed']} examples "
        f"processed by clients (local epochs included), {run['training_minutes']:.1f} "
        "minutes of rounds. Train loss is measured on each round's sampled clients during "
        "local training; evaluation on all held-out users." + _privacy(run),
        Figure(report["plots"]["learning_curves"],
               "Loss and held-out recall against round and against wall-clock time"),
    ])


def _privacy(run: Mapping[str, Any]) -> str:
    """What the run's differential privacy guarantees, if it had any."""
    dp = run["dp"]
    if not dp:
        return ""
    return (f" User-level differential privacy ({dp['mechanism']}, noise multiplier "
            f"{dp['noise_multiplier']:g}, {dp['sampling']} sampling): epsilon "
            f"{dp['epsilon']:.3g} at delta {dp['delta']:.2g} for the {dp['users']} training "
            "users.")


def _per_user(report: Mapping[str, Any]) -> Section:
    quantiles = Table(["Model", "10th percentile", "Median", "90th percentile"], [
        [MODEL_LABELS[name], *(percent(float(q)) for q in np.quantile(
            [s["top1_recall"] for s in users.values() if s["scored_words"]], [0.1, 0.5, 0.9]))]
        for name, users in report["per_user"].items()])
    activity = report["by_activity"]
    groups = list(next(iter(activity.values())))
    terciles = Table(["Model", *(f"{group} users top-1" for group in groups)],
                     [[MODEL_LABELS[name], *(percent(scores[g]["top1_recall"])
                                             for g in groups)]
                      for name, scores in activity.items()])
    return Section("Recall per user", [
        "Per-user top-1 recall across held-out users, and recall of users grouped into "
        "terciles by how many messages they typed (light, medium, heavy).",
        quantiles, terciles,
        Figure(report["plots"]["per_user"], "Per-user recall and light vs heavy users"),
    ])


def _topics(report: Mapping[str, Any]) -> Section:
    by_topic = report["by_topic"]
    topics = list(next(iter(by_topic.values()), {}))
    if not topics:
        return Section("Recall per interest", ["The data carries no `topic` per message."])
    table = Table(["Topic", "Messages", *(MODEL_LABELS[name] for name in by_topic)],
                  [[topic, str(next(iter(by_topic.values()))[topic]["messages"]),
                    *(percent(scores[topic]["top1_recall"]) for scores in by_topic.values())]
                   for topic in topics])
    return Section("Recall per interest", [
        "Top-1 recall on the held-out messages of each topic (the simulated interest a "
        "message came from).", table,
        Figure(report["plots"]["topics"], "Top-1 recall by message topic"),
    ])


def _prefix(report: Mapping[str, Any]) -> Section:
    prefix = report["prefix_completion"]
    letters = list(next(iter(prefix.values())))
    table = Table(["Model", "0 letters (top-3 recall)",
                   *(f"{n} letter{'s' * (n != '1')}" for n in letters)],
                  [[MODEL_LABELS[name], percent(report["models"][name]["top3_recall"]),
                    *(percent(by_letters[n]["recall"]) for n in letters)]
                   for name, by_letters in prefix.items()])
    return Section("Prefix completion", [
        "How often the word being typed is among the three suggestions after its first "
        "letters, with suggestions ranked as the keyboard ranks them (vocabulary words with "
        "the prefix, by the model's score at that position). Counted over in-vocabulary "
        "words longer than the prefix, after each message's first word.", table,
        Figure(report["plots"]["prefix_completion"], "Prefix completion recall"),
    ])


def _live(report: Mapping[str, Any]) -> Section:
    live = report["live"]
    if live is None:
        return Section("Live metrics", ["No device logs given (`--device-logs DATA_DIR`)."])
    return Section("Live metrics", [
        "From the keyboard app's device logs. Impression recall: share of committed words "
        "(after each message's first word) that were in the next-word strip shown when the "
        "caret reached them; words typed with no strip logged count as misses, and caret "
        "moves or edits make it an estimate. Click-through rate: taps / strips shown.",
        Table(["Metric", "Value"], [
            ["Devices", str(live["devices"])], ["Messages", str(live["messages"])],
            ["Impressions (strips shown)", str(live["impressions"])],
            ["Clicks", str(live["clicks"])],
            ["Click-through rate", percent(live["click_through_rate"])],
            ["Scored words (with a strip before them)",
             f"{live['scored_words']} ({live['words_with_strip']})"],
            ["Impression recall", percent(live["impression_recall"])]]),
    ])


def _provenance(report: Mapping[str, Any]) -> Section:
    provenance = report["provenance"]
    rows = [[key, str(value)] for key, value in provenance.items()
            if key not in ("train_config", "software", "report_command")]
    rows += [[f"software: {name}", version] for name, version in
             provenance["software"].items()]
    return Section("Configuration and provenance", [
        "Everything needed to reproduce these figures: the data file (and its hash), the "
        "run's settings (the full training configuration is in report.json) and the "
        f"software. Report command: `{provenance['report_command']}`.",
        Table(["Item", "Value"], rows),
    ])
