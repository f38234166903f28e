"""The report's figures, as PNG files (matplotlib's `Figure` with the Agg canvas, no pyplot
state, so nothing needs a display)."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from federated.training.metrics_file import RoundMetrics

MODEL_COLORS = {"federated": "#1f77b4", "centralized": "#ff7f0e", "ngram": "#2ca02c",
                "unigram": "#7f7f7f"}
DPI = 110


def _save(figure: Figure, path: Path) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=DPI)
    return path.name


def plot_learning_curves(history: list[RoundMetrics], baselines: Mapping[str, float],
                         path: Path) -> str:
    """Train loss and eval recall against round and against wall-clock minutes.

    Args:
        history: the run's metrics.csv rows.
        baselines: top-1 recall of the other models, drawn as horizontal lines.
        path: the PNG to write.
    """
    figure = Figure(figsize=(11, 7.5))
    axes = figure.subplots(2, 2)
    rounds = np.array([row.round for row in history])
    minutes = np.cumsum([row.seconds for row in history]) / 60
    evaluated = [i for i, row in enumerate(history) if row.eval_top1_recall is not None]
    for column, (x, label) in enumerate(((rounds, "round"), (minutes, "wall-clock minutes"))):
        loss_axes, recall_axes = axes[0, column], axes[1, column]
        loss_axes.plot(x, [row.train_loss for row in history], color=MODEL_COLORS["federated"],
                       label="train loss (sampled clients)")
        loss_axes.plot(x[evaluated], [history[i].eval_loss for i in evaluated], "o-",
                       color="#d62728", label="eval loss (held-out users)")
        loss_axes.set(xlabel=label, ylabel="cross-entropy", title=f"Loss by {label}")
        for key, style in (("eval_top1_recall", "o-"), ("eval_top3_recall", "s--")):
            recall_axes.plot(x[evaluated], [getattr(history[i], key) for i in evaluated], style,
                             color=MODEL_COLORS["federated"],
                             label=f"federated {key.split('_')[1]}")
        for name, value in baselines.items():
            recall_axes.axhline(value, color=MODEL_COLORS[name], linestyle=":",
                                label=f"{name} top1 (final)")
        recall_axes.set(xlabel=label, ylabel="recall", title=f"Held-out recall by {label}",
                        ylim=(0, 1))
        for subplot in (loss_axes, recall_axes):
            subplot.grid(alpha=0.3)
            subplot.legend(fontsize=8)
    return _save(figure, path)


def plot_model_comparison(models: Mapping[str, Mapping[str, Any]], path: Path) -> str:
    """Top-1 and top-3 recall of every model, side by side."""
    figure = Figure(figsize=(8, 4.5))
    axes = figure.subplots()
    names = list(models)
    positions = np.arange(len(names))
    for offset, key, hatch in ((-0.2, "top1_recall", ""), (0.2, "top3_recall", "//")):
        values = [models[name][key] for name in names]
        bars = axes.bar(positions + offset, values, 0.38, hatch=hatch, edgecolor="white",
                        color=[MODEL_COLORS[name] for name in names], label=key)
        axes.bar_label(bars, labels=[f"{v:.1%}" for v in values], fontsize=8, padding=2)
    axes.set_xticks(positions, names)
    axes.set(ylabel="recall on held-out users", ylim=(0, 1),
             title="Top-1 (plain) and top-3 (hatched) recall")
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, path)


def plot_per_user(per_user: Mapping[str, Mapping[str, Mapping[str, float]]],
                  by_activity: Mapping[str, Mapping[str, Mapping[str, float]]],
                  path: Path) -> str:
    """The distribution of per-user top-1 recall, and recall of light vs heavy users."""
    figure = Figure(figsize=(11, 4.5))
    distribution, activity = figure.subplots(1, 2)
    bins = np.linspace(0, 1, 21)
    for name, users in per_user.items():
        values = [scores["top1_recall"] for scores in users.values() if scores["scored_words"]]
        distribution.hist(values, bins=bins, histtype="step", linewidth=2,
                          color=MODEL_COLORS[name], label=name)
    distribution.set(xlabel="top-1 recall of one held-out user", ylabel="users",
                     title="Per-user top-1 recall")
    distribution.legend(fontsize=8)
    groups, positions = _grouped_top1_bars(activity, by_activity)
    any_model = next(iter(by_activity.values()))
    activity.set_xticks(positions, [f"{group}\n({any_model[group]['users']} users, "
                                    f"{any_model[group]['messages']} msgs)"
                                    for group in groups])
    activity.set(ylabel="top-1 recall", ylim=(0, 1),
                 title="Users by message-count tercile")
    activity.legend(fontsize=8)
    for subplot in (distribution, activity):
        subplot.grid(axis="y", alpha=0.3)
    return _save(figure, path)


def _grouped_top1_bars(axes, scores_by_model: Mapping[str, Mapping[str, Mapping[str, float]]]
                       ) -> tuple[list[str], np.ndarray]:
    """Draws one bar per model in each group (top-1 recall); returns the groups and x positions."""
    groups = list(next(iter(scores_by_model.values())))
    positions = np.arange(len(groups))
    width = 0.8 / len(scores_by_model)
    for index, (name, scores) in enumerate(scores_by_model.items()):
        axes.bar(positions + (index - (len(scores_by_model) - 1) / 2) * width,
                 [scores[group]["top1_recall"] for group in groups], width,
                 color=MODEL_COLORS[name], label=name)
    return groups, positions


def plot_topics(by_topic: Mapping[str, Mapping[str, Mapping[str, float]]], path: Path) -> str:
    """Top-1 recall on the messages of each topic (interest), per model."""
    topics = list(next(iter(by_topic.values())))
    figure = Figure(figsize=(max(8.0, 0.75 * len(topics) + 2), 4.5))
    axes = figure.subplots()
    _, positions = _grouped_top1_bars(axes, by_topic)
    axes.set_xticks(positions, topics, rotation=30, ha="right")
    axes.set(ylabel="top-1 recall", ylim=(0, 1), title="Top-1 recall by message topic")
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, path)


def plot_prefix_completion(prefix: Mapping[str, Mapping[str, Mapping[str, float]]],
                           models: Mapping[str, Mapping[str, Any]], path: Path) -> str:
    """Share of words among the three suggestions after 0 (top-3 recall) to 3 typed letters."""
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    for name, by_letters in prefix.items():
        letters = [0, *(int(count) for count in by_letters)]
        values = [models[name]["top3_recall"],
                  *(scores["recall"] for scores in by_letters.values())]
        axes.plot(letters, values, "o-", color=MODEL_COLORS[name], label=name)
    axes.set_xticks(letters)
    axes.set(xlabel="letters of the word typed", ylabel="word among the 3 suggestions",
             ylim=(0, 1), title="Prefix completion (0 letters: next-word top-3 recall)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return _save(figure, path)


def plot_experiments(experiments: Mapping[str, Any],
                     histories: Mapping[str, list[RoundMetrics]], path: Path) -> str:
    """Held-out top-1 recall by round of the reference and every compared run; beside it,
    the privacy-utility trade-off (top-1 against epsilon) when some runs used DP.

    Args:
        experiments: report.json `experiments`.
        histories: every run's metrics.csv rows, by run name (the reference's included).
        path: the PNG to write.
    """
    private = [row for row in experiments["runs"] if row["dp"]]
    figure = Figure(figsize=(13 if private else 8, 5))
    panels = figure.subplots(1, 2 if private else 1, squeeze=False)[0]
    curves = panels[0]
    reference = experiments["reference"]["run"]
    colors = itertools.cycle(colormaps["tab20"].colors)
    for name, history in histories.items():
        evaluated = [row for row in history if row.eval_top1_recall is not None]
        curves.plot([row.round for row in evaluated],
                    [row.eval_top1_recall for row in evaluated], "o-", markersize=3,
                    color="black" if name == reference else next(colors),
                    linewidth=2.5 if name == reference else 1.2, label=name)
    curves.axhline(experiments["target_top1_recall"], color="#7f7f7f", linestyle=":",
                   label="rounds-to-target line")
    curves.set(xlabel="round", ylabel="held-out top-1 recall", ylim=(0, None),
               title="Held-out top-1 recall by round")
    if private:
        trade_off = panels[1]
        epsilons = [row["dp"]["epsilon"] for row in private]
        trade_off.plot(epsilons, [row["top1_recall"] for row in private], "o",
                       color=MODEL_COLORS["federated"], label="with DP")
        for row, epsilon in zip(private, epsilons):
            dp = row["dp"]
            trade_off.annotate(f"{dp['mechanism']} z={dp['noise_multiplier']:g}",
                               (epsilon, row["top1_recall"]), fontsize=8, xytext=(4, 4),
                               textcoords="offset points")
        trade_off.axhline(experiments["reference"]["top1_recall"], color="#7f7f7f",
                          linestyle=":", label=f"no DP ({experiments['reference']['run']})")
        trade_off.set(xscale="log", xlabel="epsilon (log scale)",
                      ylabel="held-out top-1 recall", ylim=(0, None),
                      title="Privacy-utility trade-off")
    for subplot in panels:
        subplot.grid(alpha=0.3)
        subplot.legend(fontsize=7)
    return _save(figure, path)


QUERY_COLORS = {"federated": MODEL_COLORS["federated"], "centralized": MODEL_COLORS["centralized"],
                "show_always": "#7f7f7f", "oracle": "#2ca02c"}


def plot_query_suggestions(queries: Mapping[str, Any], path: Path) -> str:
    """CTR of the kept impressions against the share kept, one curve per model; beside it,
    the federated model's held-out AUC by round against the centralized model's.

    Args:
        queries: report.json `query_suggestions`.
        path: the PNG to write.
    """
    figure = Figure(figsize=(12, 4.5))
    curves, rounds = figure.subplots(1, 2)
    shares = queries["curves"]["shares"]
    for name, values in queries["curves"]["ctr"].items():
        curves.plot(shares, values, "o-", markersize=3, color=QUERY_COLORS[name], label=name)
    curves.axvline(0.5, color="#bbbbbb", linestyle=":")
    curves.set(xlabel="share of held-out impressions kept (best-scored first)",
               ylabel="click-through rate of the kept", ylim=(0, None),
               title="CTR against the share of impressions kept")
    by_round = np.array(queries["auc_by_round"], dtype=float).reshape(-1, 2)
    rounds.plot(by_round[:, 0], by_round[:, 1], color=QUERY_COLORS["federated"],
                label="federated (held-out AUC)")
    centralized = queries["models"]["centralized"]["auc"]
    rounds.axhline(centralized, color=QUERY_COLORS["centralized"], linestyle="--",
                   label="centralized")
    rounds.axhline(queries["centralized_auc_target"], color="#7f7f7f", linestyle=":",
                   label="90% of centralized")
    rounds.set(xlabel="round", ylabel="AUC", title="Held-out AUC by round")
    for subplot in (curves, rounds):
        subplot.grid(alpha=0.3)
        subplot.legend(fontsize=8)
    return _save(figure, path)


def plot_personalization_gains(personalization: Mapping[str, Any], path: Path) -> str:
    """Histogram of per-user top-1 gains (points), personal model without and with the cache.

    Args:
        personalization: report.json `personalization`.
        path: the PNG to write.
    """
    figure = Figure(figsize=(7, 4.5))
    axes = figure.subplots()
    series = {"personal model": personalization["per_user_gain_points"],
              "with the word cache": personalization["with_word_cache"]["per_user_gain_points"]}
    low = min(min(values) for values in series.values())
    high = max(max(values) for values in series.values())
    bins = np.linspace(min(low, -1.0), max(high, 1.0), 31)
    for (label, values), color in zip(series.items(), ("#1f77b4", "#ff7f0e")):
        axes.hist(values, bins=bins, histtype="step", linewidth=2, color=color, label=label)
    axes.axvline(0, color="#7f7f7f", linestyle=":")
    axes.axvline(-1, color="#d62728", linestyle=":", label="-1 point")
    axes.set(xlabel="top-1 recall gain of one held-out user (points)", ylabel="users",
             title="Per-user gain of personalization")
    axes.legend(fontsize=8)
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, path)


def write_plots(report: Mapping[str, Any], history: list[RoundMetrics], directory: Path, *,
                compared: Mapping[str, list[RoundMetrics]]) -> dict[str, str]:
    """Writes every figure of `report` into `directory`; returns their relative paths.

    `compared` holds the --compare runs' histories by run name (empty without them).
    """
    directory.mkdir(parents=True, exist_ok=True)
    models = report["models"]
    plots = {
        "models": plot_model_comparison(models, directory / "models.png"),
        "learning_curves": plot_learning_curves(
            history, {name: scores["top1_recall"] for name, scores in models.items()
                      if name != "federated"}, directory / "learning_curves.png"),
        "per_user": plot_per_user(report["per_user"], report["by_activity"],
                                  directory / "per_user.png"),
        "prefix_completion": plot_prefix_completion(report["prefix_completion"], models,
                                                    directory / "prefix_completion.png"),
    }
    if any(report["by_topic"].values()):
        plots["topics"] = plot_topics(report["by_topic"], directory / "topics.png")
    if report["query_suggestions"]:
        plots["query_suggestions"] = plot_query_suggestions(
            report["query_suggestions"], directory / "query_suggestions.png")
    if report.get("personalization"):
        plots["personalization"] = plot_personalization_gains(
            report["personalization"], directory / "personalization.png")
    if report["experiments"]:
        reference = report["experiments"]["reference"]["run"]
        plots["experiments"] = plot_experiments(
            report["experiments"], {reference: history, **compared},
            directory / "experiments.png")
    return plots
