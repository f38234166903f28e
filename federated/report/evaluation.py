"""Scores the run's federated model and its baselines on the same held-out examples.

Everything is evaluated with Keras or numpy in this process; no TFF computation is built
here (an eager Keras model breaks once TFF has traced graphs in the same process).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from federated.evaluation.centralized import CentralizedConfig, load_or_train
from federated.evaluation.interpolation import weight_sweep
from federated.evaluation.prefix_completion import prefix_completion_recall
from federated.evaluation.recall_breakdown import (
    group_recall,
    per_user_recall,
    tercile_users,
    topic_recall,
)
from federated.evaluation.scoring import (
    LogitsFn,
    backdoor_success,
    keras_logits_fn,
    oov_rate,
    score,
    unigram_logits_fn,
)
from federated.learning.client_data import encode_users, pool_examples
from federated.report.comparisons import backdoor_key
from federated.report.config import ReportConfig
from federated.training.metrics_file import RoundMetrics
from federated.training.workspace import Workspace
from model.export import ExportInfo
from model.keras_io import load_keras_model
from model.ngram import KneserNeyModel, sequences_of

MODEL_DESCRIPTIONS = {
    "federated": "the run's final global model (CIFG-LSTM, federated averaging)",
    "centralized": "the same CIFG-LSTM trained on the pooled training users' data (server)",
    "ngram": "interpolated Kneser-Ney n-gram on the pooled training data",
    "unigram": "the most frequent words of the training data",
}


# The sweep's network weights: 0 is the n-gram alone, 1 the network alone.
SWEEP_WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
INTERPOLATED = ("federated", "centralized")


def _interpolation(logits_fns: Mapping[str, LogitsFn], ngram: KneserNeyModel,
                   network_weight: float, baseline_ngram_top1: float, inputs: np.ndarray,
                   targets: np.ndarray) -> dict[str, Any]:
    """The federated and centralized networks interpolated with `ngram` (the export's, else the
    baseline's): at the export's weight (as the keyboard serves the federated one), and swept
    from the n-gram alone (0) to the network alone (1). Ratios against the n-gram are against
    the report's baseline (`baseline_ngram_top1`), as the networks' own are."""
    weights = sorted({*SWEEP_WEIGHTS, network_weight})
    sweeps = {}
    for name in INTERPOLATED:
        print(f"interpolating {name} with the n-gram", flush=True)
        sweeps[name] = weight_sweep(logits_fns[name], ngram.logits, weights, inputs, targets)
    models = {name: dataclasses.asdict(sweep[network_weight]) for name, sweep in sweeps.items()}
    return {
        "network_weight": network_weight,
        "models": models,
        "ratios": {
            "federated_over_ngram_top1":
                models["federated"]["top1_recall"] / baseline_ngram_top1,
            "federated_over_centralized_top1":
                models["federated"]["top1_recall"] / models["centralized"]["top1_recall"]},
        "sweep": [{"network_weight": weight,
                   **{name: {"top1_recall": sweep[weight].top1_recall,
                             "top3_recall": sweep[weight].top3_recall}
                      for name, sweep in sweeps.items()}} for weight in weights],
        "ngram_table_bytes": ngram.table_bytes,
    }


def evaluate_run(workspace: Workspace, export: ExportInfo, history: list[RoundMetrics],
                 eval_topics: Mapping[str, list[str]],
                 config: ReportConfig,
                 backdoors: Sequence[tuple[str, str]] = ()) -> dict[str, Any]:
    """Every model's scores and breakdowns on the run's held-out users.

    Args:
        workspace: the reloaded run (its vocabulary and user split).
        export: the run's final model export.
        history: the run's per-round metrics (sets the centralized budget).
        eval_topics: held-out messages by topic (interest), possibly empty.
        config: the report's settings (the baselines').
        backdoors: (trigger, target) pairs whose success to measure on the federated model
            (the benign rate that compared backdoor runs are held against).

    Returns:
        The `models`, `evaluation` and breakdown sections of report.json, and
        `reference_backdoor`: {backdoor_key: (top-1, top-3) success} for `backdoors`.
    """
    tf.config.experimental.enable_op_determinism()
    tf.keras.utils.set_random_seed(workspace.config.seed)
    max_words = export.model_config.max_words
    vocab = workspace.vocab
    train_examples = encode_users(workspace.train_texts, vocab, max_words=max_words)
    eval_by_user = encode_users(workspace.eval_texts, vocab, max_words=max_words)
    train_inputs, train_targets = pool_examples(train_examples)
    eval_inputs, eval_targets = pool_examples(eval_by_user)

    centralized_config = CentralizedConfig(
        examples=sum(row.train_examples for row in history),
        learning_rate=config.centralized_learning_rate,
        batch_size=config.centralized_batch_size, seed=workspace.config.seed,
        dropout=workspace.config.model_dropout)
    centralized = load_or_train(
        config.report_dir / "centralized", export.model_config, centralized_config,
        train_inputs, train_targets, provenance={"data_sha256": workspace.data_sha256})
    ngram = KneserNeyModel.count(sequences_of(train_inputs, train_targets),
                                 vocab_size=vocab.size, order=config.ngram_order)
    federated = load_keras_model(export)
    logits_fns = {
        "federated": keras_logits_fn(federated),
        "centralized": keras_logits_fn(centralized),
        "ngram": ngram.logits,
        "unigram": unigram_logits_fn((t for _, t in train_examples.values()), vocab.size),
    }
    details = {
        "federated": {"model_version": export.version, "parameters": federated.count_params()},
        "centralized": {"trained_with": {**dataclasses.asdict(centralized_config),
                                         "steps": centralized_config.steps,
                                         "optimizer": "adam"}},
        "ngram": {"order": config.ngram_order, "smoothing": "interpolated Kneser-Ney"},
        "unigram": {},
    }
    models = {}
    for name, logits_fn in logits_fns.items():
        print(f"scoring {name}", flush=True)
        models[name] = {**dataclasses.asdict(score(logits_fn, eval_inputs, eval_targets)),
                        "description": MODEL_DESCRIPTIONS[name], **details[name]}
    # What the keyboard serves: the export's own n-gram (device logs counted in a retrained run).
    interpolation = _interpolation(logits_fns, export.read_ngram() or ngram,
                                   export.network_weight, models["ngram"]["top1_recall"],
                                   eval_inputs, eval_targets)
    seen = {row.tobytes() for row in sequences_of(train_inputs, train_targets)}
    message_counts = {user: len(records) for user, records in workspace.eval_records.items()}
    examples_by_topic = encode_users(eval_topics, vocab, max_words=max_words)
    breakdowns: dict[str, dict] = defaultdict(dict)
    for name, logits_fn in logits_fns.items():
        print(f"breaking down {name}", flush=True)
        breakdowns["per_user"][name] = per_user_recall(logits_fn, eval_by_user)
        breakdowns["by_activity"][name] = group_recall(logits_fn, eval_by_user,
                                                       tercile_users(message_counts))
        breakdowns["by_topic"][name] = topic_recall(logits_fn, examples_by_topic)
        breakdowns["prefix_completion"][name] = prefix_completion_recall(
            logits_fn, eval_inputs, eval_targets, vocab)
    eval_texts = workspace.eval_texts  # Built from the records on each access: once.
    reference_backdoor = {
        backdoor_key(trigger, target): backdoor_success(
            logits_fns["federated"], eval_texts, vocab, trigger_words=trigger.split(),
            target=target, seed=workspace.config.seed, max_words=max_words)[:2]
        for trigger, target in backdoors}
    return {
        "reference_backdoor": reference_backdoor,
        "evaluation": {"users": len(eval_by_user), "messages": len(eval_inputs),
                       "scored_words": models["federated"]["scored_words"],
                       "oov_rate": oov_rate(eval_targets),
                       "training_users": len(train_examples),
                       "training_messages": len(train_inputs),
                       "messages_seen_in_training": float(np.mean(
                           [row.tobytes() in seen
                            for row in sequences_of(eval_inputs, eval_targets)]))},
        "models": models,
        "interpolation": interpolation,
        "eval_user_messages": message_counts,
        **breakdowns,
    }
