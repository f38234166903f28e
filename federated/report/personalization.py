"""Federated evaluation of on-device personalization and the word cache, on any finished run.

    python -m federated.report.personalization RUN_DIR [--out DIR] [grid options]

As Wang et al. 2019: every user's history is split by time, the older messages to personalize
on (the newest `--max-messages` of them) and to count the word cache from, the newer
(`--scored-fraction` of it) to score the global and the personal model on, each as the
keyboard serves it (interpolated with the export's n-gram at the export's weight). A grid of
fine-tuning settings is run on a seeded sample of TRAINING users; the strategy, the
interpolation and the number of messages below which personalization stays off are chosen there
together (the best gain among the choices where fewer than 10% of users lose more than a point);
then the choice is measured on the run's HELD-OUT users. Writes DIR/personalization.json
(default RUN_DIR/report/) with personalization.md and personalization.png (the histogram of
per-user gains); `python -m federated.report` then puts the figures under `personalization` in
report.json, with the same section and histogram.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from data.records import TypingRecord
from federated.training.run_dir import RunDir
from model.export import WEIGHTS_FILE

PERSONALIZATION_FILE = "personalization.json"
MAX_CALL_BYTES = 512 * 2**20  # The n-gram rows of one call's clients, well under gRPC's 2 GiB.


@dataclass(frozen=True)
class PersonalizationEvalConfig:
    """The evaluation's settings (read at the command line only).

    Attributes:
        scored_fraction: the newest share of each user's messages that is scored.
        selection_users: training users the grid is run on (a seeded sample).
        learning_rates, epochs, trainables: the grid of fine-tuning settings (plain SGD).
        interpolations: weights of the fine-tuned model scored for each setting.
        min_messages_candidates: thresholds tried for "personalization off below N".
        batch_size: messages per fine-tuning step.
        max_messages: the newest personal messages a device fine-tunes on.
        clients_per_call: clients per call of the TFF computation (one progress-bar step).
        seed: the sample of training users and the fine-tuning's shuffling.
        cache_all_words: the word cache holds every word the user typed, not only those
            outside the vocabulary (`model.word_cache.WordCache`'s `all_words`).
    """

    scored_fraction: float = 0.3
    selection_users: int = 60
    learning_rates: tuple[float, ...] = (0.1, 0.3)
    epochs: tuple[int, ...] = (1, 3, 6, 10)
    trainables: tuple[str, ...] = ("all", "bias")
    interpolations: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)
    min_messages_candidates: tuple[int, ...] = (0, 5, 10, 20, 40)
    batch_size: int = 16
    max_messages: int = 200
    clients_per_call: int = 10
    seed: int = 0
    cache_all_words: bool = False

    def __post_init__(self):
        if not 0.0 < self.scored_fraction < 1.0:
            raise ValueError(f"--scored-fraction must be in (0, 1), got {self.scored_fraction}")
        for name in ("selection_users", "batch_size", "max_messages", "clients_per_call"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be >= 1, "
                                 f"got {getattr(self, name)}")
        for name in ("learning_rates", "epochs", "trainables", "interpolations",
                     "min_messages_candidates"):
            if not getattr(self, name):
                raise ValueError(f"--{name.replace('_', '-')} needs at least one value")


@dataclass(frozen=True)
class UserData:
    """One user's history split by time: `personal` (older) and `scored` (newer) messages."""

    personal: list[str]
    scored: list[str]


def split_by_time(records: Sequence[TypingRecord], scored_fraction: float
                  ) -> Optional[UserData]:
    """The user's messages, oldest first (records without a timestamp keep their order), split
    into older and newer; None for a user with fewer than 2 messages."""
    if len(records) < 2:
        return None
    ordered = sorted(records, key=lambda record: record.timestamp or "")
    scored = min(max(round(len(ordered) * scored_fraction), 1), len(ordered) - 1)
    texts = [record.text for record in ordered]
    return UserData(personal=texts[:-scored], scored=texts[-scored:])


def strategies_of(config: PersonalizationEvalConfig) -> list[Any]:
    """The grid's fine-tuning settings (`model.personalization.PersonalizationConfig`)."""
    from model.personalization import PersonalizationConfig

    return [PersonalizationConfig(epochs=epochs, learning_rate=rate, optimizer="sgd",
                                  batch_size=config.batch_size, trainable=trainable,
                                  min_messages=0, max_messages=config.max_messages,
                                  seed=config.seed)
            for trainable in config.trainables for rate in config.learning_rates
            for epochs in config.epochs]


def _client_examples(users: Mapping[str, UserData], vocab, model_config,
                     config: PersonalizationEvalConfig) -> list[tuple[Any, ...]]:
    """Each user's examples and their word cache's predictions (on device): the arguments of
    `client_input` but the n-gram's, which `_run` adds a call's clients at a time (a
    vocabulary-wide row per scored position is too large to hold for every user)."""
    from model.sequences import to_examples
    from model.word_cache import WordCache, cache_predictions

    clients = []
    max_words = model_config.max_words
    for user in users.values():
        personal = to_examples(user.personal[-config.max_messages:], vocab, max_words=max_words)
        scored = to_examples(user.scored, vocab, max_words=max_words)
        if len(personal[0]) == 0 or len(scored[0]) == 0:
            continue
        cache = WordCache.from_messages(user.personal, vocab, all_words=config.cache_all_words)
        clients.append((personal, scored,
                        *cache_predictions(cache, user.scored, max_words=max_words)))
    return clients


def call_groups(row_bytes: Sequence[int], *, max_clients: int, max_bytes: int
                ) -> list[range]:
    """Consecutive clients for each call: at most `max_clients`, and at most `max_bytes` of
    n-gram rows (`row_bytes`, per client) unless one client alone holds more. A call's inputs
    travel to the TFF worker in one message, which gRPC caps at 2 GiB."""
    groups, start, total = [], 0, 0
    for index, size in enumerate(row_bytes):
        if index > start and (index - start == max_clients or total + size > max_bytes):
            groups.append(range(start, index))
            start, total = index, 0
        total += size
    if start < len(row_bytes):
        groups.append(range(start, len(row_bytes)))
    return groups


def _run(computation, weights, clients: list[tuple[Any, ...]], ngram,
         config: PersonalizationEvalConfig, description: str) -> dict[str, Any]:
    """Calls `computation` on `clients` (`_client_examples`), in `call_groups`, with the
    export's n-gram (or None) scoring their newer messages."""
    from tqdm import tqdm

    from federated.evaluation.personalization import merge_outputs
    from federated.learning.personalization import client_input

    row = 4 * (ngram.vocab_size if ngram is not None else 1)  # float32 per scored position
    groups = call_groups([row * client[1][0].size for client in clients],
                         max_clients=config.clients_per_call, max_bytes=MAX_CALL_BYTES)
    outputs = []
    for group in tqdm(groups, desc=description, unit="call", dynamic_ncols=True):
        inputs = [client_input(*clients[index],
                               None if ngram is None else ngram.logits(clients[index][1][0]))
                  for index in group]
        outputs.append(computation(weights, inputs))
    return merge_outputs(outputs)


def evaluate_personalization(run_dir: Path, config: PersonalizationEvalConfig
                             ) -> dict[str, Any]:
    """Runs the grid on training users, the choice on held-out users; returns the figures."""
    # TensorFlow and TFF take seconds to import: only once the arguments are known good.
    from federated.evaluation import personalization as figures
    from federated.learning import personalization as p13n
    from federated.learning.options import RuntimeConfig
    from federated.learning.worker import tff_worker
    from federated.report.cli import check_run
    from federated.training.workspace import reload_workspace, split_histories

    started = time.monotonic()
    export, _ = check_run(run_dir)
    workspace = reload_workspace(run_dir)
    run_config = workspace.config
    train_records = split_histories(workspace.data_path, eval_fraction=run_config.eval_fraction,
                                    seed=run_config.seed, skip_bad=True,
                                    validation=run_config.validation).train
    rng = np.random.default_rng(config.seed)
    sample = sorted(rng.choice(sorted(train_records), replace=False,
                               size=min(config.selection_users, len(train_records))))
    selection = {u: d for u in sample
                 if (d := split_by_time(train_records[u], config.scored_fraction))}
    held_out = {u: d for u, records in sorted(workspace.eval_records.items())
                if (d := split_by_time(records, config.scored_fraction))}
    with np.load(export.directory / WEIGHTS_FILE) as stored:
        weights, shapes = p13n.global_weights(export.model_config,
                                              {name: stored[name] for name in stored.files})
    vocab, model_config = workspace.vocab, export.model_config
    ngram = export.read_ngram()
    selection_clients = _client_examples(selection, vocab, model_config, config)
    held_out_clients = _client_examples(held_out, vocab, model_config, config)
    strategies = strategies_of(config)
    model_fn = p13n.make_model_fn(model_config, seed=0)
    keys = {"baseline": p13n.BASELINE, "sizes": p13n.SIZES}

    # A worker of its own: the workers a run trained on (--workers) may be long gone.
    with tff_worker(RuntimeConfig(), log_path=None):
        grid_eval = p13n.build_personalization_eval(
            model_fn, strategies, config.interpolations, trainable_shapes=shapes,
            network_weight=export.network_weight, max_clients=config.clients_per_call)
        grid_metrics = _run(grid_eval, weights, selection_clients, ngram, config,
                            f"grid of {len(strategies)} on training users")
        candidates = {(s, i): figures.client_scores(grid_metrics, p13n.strategy_key(s),
                                                    p13n.interpolation_key(i), **keys)
                      for s in range(len(strategies))
                      for i in range(len(config.interpolations))}
        (best_strategy, best_interpolation), min_messages = figures.choose_setting(
            candidates, config.min_messages_candidates)
        by_threshold = figures.by_threshold(candidates[best_strategy, best_interpolation],
                                            config.min_messages_candidates)
        chosen = dataclasses.replace(strategies[best_strategy], min_messages=min_messages,
                                     interpolation=config.interpolations[best_interpolation])
        held_out_eval = p13n.build_personalization_eval(
            model_fn, [chosen], config.interpolations, trainable_shapes=shapes,
            network_weight=export.network_weight, max_clients=config.clients_per_call)
        held_out_metrics = _run(held_out_eval, weights, held_out_clients, ngram, config,
                                "chosen on held-out users")

    clients = figures.client_scores(held_out_metrics, p13n.strategy_key(0),
                                    p13n.interpolation_key(best_interpolation), **keys)
    model_only = figures.gains(clients, min_messages=min_messages, with_cache=False)
    with_cache = figures.gains(clients, min_messages=min_messages, with_cache=True)
    grid = []
    for (s, i), scores in candidates.items():
        found = figures.gains(scores, min_messages=0, with_cache=False)
        grid.append({"learning_rate": strategies[s].learning_rate,
                     "epochs": strategies[s].epochs, "trainable": strategies[s].trainable,
                     "interpolation": config.interpolations[i],
                     **{k: v for k, v in found.items() if k != "per_user_gain_points"}})
    return {
        **model_only,
        "hyperparameters": dataclasses.asdict(chosen),
        "with_word_cache": with_cache,
        "word_cache_with_global_model": {
            k: v for k, v in figures.gains(clients, min_messages=10**9, with_cache=True).items()
            if k != "per_user_gain_points"},
        "by_interpolation": {
            str(weight): {k: v for k, v in figures.gains(
                figures.client_scores(held_out_metrics, p13n.strategy_key(0),
                                      p13n.interpolation_key(i), **keys),
                min_messages=min_messages, with_cache=False).items()
                if k != "per_user_gain_points"}
            for i, weight in enumerate(config.interpolations)},
        "by_activity": figures.by_activity(clients, min_messages=min_messages,
                                           with_cache=False),
        "by_activity_with_word_cache": figures.by_activity(clients, min_messages=min_messages,
                                                           with_cache=True),
        "by_personal_messages": figures.by_personal_messages(
            clients, config.min_messages_candidates, with_cache=False),
        "min_messages_choice": {"chosen": min_messages,
                                "training_users": {str(n): found
                                                   for n, found in by_threshold.items()}},
        "grid": grid,
        "selection_users": len(selection_clients),
        "model_version": export.version,
        "network_weight": export.network_weight,
        "settings": dataclasses.asdict(config),
        "seconds": time.monotonic() - started,
    }


def read_personalization(report_dir: Path, model_version: str) -> Optional[dict[str, Any]]:
    """The figures `python -m federated.report.personalization` wrote for this model version,
    or None (none written, or written for another version of the model)."""
    path = report_dir / PERSONALIZATION_FILE
    if not path.is_file():
        return None
    found = json.loads(path.read_text(encoding="utf-8"))
    return found if found.get("model_version") == model_version else None


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(value) for value in text.split(","))


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(value) for value in text.split(","))


def build_parser() -> argparse.ArgumentParser:
    defaults = PersonalizationEvalConfig()
    parser = argparse.ArgumentParser(prog="python -m federated.report.personalization",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR",
                        help="a finished `python -m federated.train` run directory")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="where to write personalization.json (default RUN_DIR/report)")

    def option(name: str, parse, help_text: str, joined: bool = False):
        default = getattr(defaults, name.replace("-", "_"))
        shown = ",".join(map(str, default)) if joined else default
        parser.add_argument(f"--{name}", type=parse, default=default,
                            help=f"{help_text} (default {shown})")

    option("scored-fraction", float, "newest share of each user's messages scored")
    option("selection-users", int, "training users the grid is chosen on")
    option("learning-rates", _floats, "grid: SGD learning rates, comma-separated", True)
    option("epochs", _ints, "grid: epochs, comma-separated", True)
    option("trainables", lambda text: tuple(text.split(",")),
           "grid: trainable layers, comma-separated (all, rnn_and_bias, bias)", True)
    option("interpolations", _floats, "grid: weights of the fine-tuned model", True)
    option("min-messages-candidates", _ints, "thresholds tried for personalization off", True)
    option("batch-size", int, "messages per fine-tuning step")
    option("max-messages", int, "newest personal messages fine-tuned on")
    option("clients-per-call", int, "clients per call of the TFF computation")
    option("seed", int, "sample of training users, shuffling")
    parser.add_argument("--cache-all-words", action="store_true",
                        help="the word cache holds every word typed, not only those outside "
                             "the vocabulary")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config = PersonalizationEvalConfig(**{
            field.name: getattr(args, field.name)
            for field in dataclasses.fields(PersonalizationEvalConfig)})
        strategies_of(config)  # Refuses a bad trainable or learning rate before TFF loads.
        if not RunDir(args.run_dir).summary.is_file():
            raise ValueError(f"{args.run_dir}: not a finished training run (no summary.json)")
        result = evaluate_personalization(args.run_dir, config)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from federated.report.document import render_markdown
    from federated.report.personalization_section import personalization_section
    from federated.report.plots import plot_personalization_gains
    from model.atomic_files import atomic_write_text

    out = args.out or RunDir(args.run_dir).report
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / PERSONALIZATION_FILE, json.dumps(result, indent=2) + "\n")
    plot = plot_personalization_gains(result, out / "personalization.png")
    section = personalization_section({"personalization": result,
                                       "plots": {"personalization": plot}})
    atomic_write_text(out / "personalization.md",
                      render_markdown(f"Personalization of {args.run_dir}", [section]))
    cache = result["with_word_cache"]
    print(f"{result['users']} held-out users, top-1 {result['global_top1_recall']:.4f} -> "
          f"{result['personal_top1_recall']:.4f} personalized "
          f"({result['mean_relative_top1_gain']:+.1%}), {cache['personal_top1_recall']:.4f} "
          f"with the word cache ({cache['mean_relative_top1_gain']:+.1%}); losing >1 point: "
          f"{result['share_losing_over_1pt']:.1%}; chosen {result['hyperparameters']}; "
          f"in {out / PERSONALIZATION_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
