"""One training run, end to end: datasets, TFF processes, rounds, evaluation, export, summary."""

from __future__ import annotations

import dataclasses
import json
import platform
import time
from typing import Any

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff

from data.atomic_files import atomic_write_text
from federated import checkpoint
from federated.baselines import (
    backdoor_success,
    keras_logits_fn,
    oov_rate,
    score,
    unigram_logits_fn,
)
from federated.boosting import build_boosting_process, uses_boosting, with_boost
from federated.client_data import build_client_datasets, encode_users
from federated.compression import upload_summary
from federated.config import TrainConfig
from federated.history import read_history
from federated.participation import attack_summary, devices_summary
from federated.privacy_accounting import privacy_spent
from federated.process import (
    build_evaluation_process,
    build_training_process,
    make_model_fn,
    update_aggregator,
)
from federated.runtime import tff_worker
from federated.sampling import SAMPLERS
from federated.training_loop import EvalMetrics, FederatedTask, run_rounds
from federated.workspace import Workspace
from model.export import ExportInfo, write_export
from model.keras_io import load_keras_model, weights_by_name
from model.network import build_model
from model.serving import to_tflite

EVAL_BATCH_SIZE = 64
SUMMARY_FILE = "summary.json"


def train(workspace: Workspace) -> dict[str, Any]:
    """Trains (or resumes) the run described by `workspace` and returns its summary."""
    config = workspace.config
    started = time.perf_counter()
    model_config = config.model_config(workspace.vocab.size)
    train_examples = encode_users(workspace.train_texts, workspace.vocab,
                                  max_words=config.max_words)
    eval_examples = encode_users(workspace.eval_texts, workspace.vocab,
                                 max_words=config.max_words)
    if config.clients_per_round > len(train_examples):
        raise ValueError(f"--clients-per-round {config.clients_per_round} is more than the "
                         f"{len(train_examples)} training users with usable messages")
    model_fn = make_model_fn(model_config, seed=config.seed)
    malicious = frozenset(workspace.malicious_clients) & set(train_examples)
    training, train_datasets = _training(
        model_fn, config, malicious,
        build_client_datasets(train_examples, batch_size=config.batch_size,
                              epochs=config.local_epochs, shuffle_seed=config.seed))
    task = FederatedTask(
        training=training,
        evaluation=build_evaluation_process(model_fn),
        train_datasets=train_datasets,
        eval_datasets=list(build_client_datasets(eval_examples,
                                                 batch_size=EVAL_BATCH_SIZE).values()),
        device_clients=[d for d in workspace.device_clients if d in train_examples],
        sampler=SAMPLERS[config.privacy.sampling],
        availability=workspace.availability, malicious_clients=malicious)
    run_dir = workspace.run_dir
    with tff_worker(config.runtime, log_path=run_dir / "worker.log"):
        # Initial weights come from an eager Keras model, not from TFF's traced one: they
        # then depend only on the seed (or the init export), never on what the process did
        # before, so a resumed run and an uninterrupted run start from identical weights.
        # (Built after the TFF processes: TF 2.14 breaks eager Keras models built before
        # TFF traces its graphs.) The same model later carries the final weights to export.
        keras_model = (load_keras_model(workspace.init_from) if workspace.init_from
                       else build_model(model_config, seed=config.seed))
        state = task.training.set_model_weights(
            task.training.initialize(),
            tff.learning.models.ModelWeights.from_model(keras_model)
            .convert_variables_to_arrays())
        history = []
        if workspace.resume_round:
            state = _restore(state, task.training.state_type, run_dir, workspace.resume_round)
            history = read_history(run_dir / "metrics.csv")[: workspace.resume_round]
            print(f"resuming {run_dir} after round {workspace.resume_round}")
        state, history, final_eval = run_rounds(task, config, run_dir, state=state,
                                                history=history)
        final_eval = final_eval or task.evaluate(state)
        model_weights = task.training.get_model_weights(state)

    model_weights.assign_weights_to(keras_model)
    eval_inputs = np.concatenate([inputs for inputs, _ in eval_examples.values()])
    eval_targets = np.concatenate([targets for _, targets in eval_examples.values()])
    unigram = score(unigram_logits_fn((t for _, t in train_examples.values()),
                                      workspace.vocab.size), eval_inputs, eval_targets)
    export = write_export(
        run_dir, model_config=model_config, vocab=workspace.vocab,
        weights=weights_by_name(keras_model), tflite_model=to_tflite(keras_model, model_config),
        label=f"r{len(history):04d}",
        metadata={"rounds": len(history), "top1_recall": final_eval.top1_recall,
                  "top3_recall": final_eval.top3_recall, "data_sha256": workspace.data_sha256,
                  "seed": config.seed})
    backdoor = (backdoor_success(
        keras_logits_fn(keras_model), workspace.eval_texts, workspace.vocab,
        trigger_words=config.attack.trigger_words, target=config.attack.target_word,
        seed=config.seed, max_words=config.max_words)
        if config.attack.attack == "backdoor" else None)
    summary = _summary(workspace, history, final_eval, export,
                       baselines={"unigram": dataclasses.asdict(unigram)},
                       eval_oov_rate=oov_rate(eval_targets),
                       train_users=len(train_examples), eval_users=len(eval_examples),
                       seconds=time.perf_counter() - started)
    summary["dp"] = (privacy_spent(config.privacy, users=len(train_examples),
                                   clients_per_round=config.clients_per_round,
                                   rounds=len(history)) if config.privacy.dp else None)
    summary["communication"] = upload_summary(model_weights.trainable, config.privacy)
    summary["devices"] = devices_summary(config, history)
    summary["attack"] = attack_summary(config, sorted(malicious), history,
                                       backdoor_success=backdoor)
    atomic_write_text(run_dir / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
    return summary


def _training(model_fn, config: TrainConfig, malicious: frozenset[str],
              datasets: dict[str, tf.data.Dataset]
              ) -> tuple[tff.learning.templates.LearningProcess, dict[str, tf.data.Dataset]]:
    """The learning process and the client datasets it takes: FedAvg on the datasets as they
    are, or, when malicious clients boost, FedAvg whose client data carries boost factors."""
    aggregator = update_aggregator(model_fn, config, users=len(datasets))
    if not uses_boosting(config.attack, len(malicious)):
        return build_training_process(model_fn, config, aggregator=aggregator), datasets
    factor = config.attack.boost_factor
    return (build_boosting_process(model_fn, config.optimizers, aggregator=aggregator),
            {client: with_boost(dataset, factor if client in malicious else 1.0)
             for client, dataset in datasets.items()})


def _restore(template: Any, state_type: tff.FederatedType, run_dir, round_number: int) -> Any:
    """The state checkpointed after `round_number`, in the structure of `template`."""
    # Shapes from the state's type, not from `template`: tree-DP noise buffers grow with
    # the rounds, and their type leaves that dimension open (None).
    expected = [tuple(spec.shape.as_list()) for spec in
                tf.nest.flatten(tff.types.type_to_tf_tensor_specs(state_type.member))]
    leaves = checkpoint.load_leaves(run_dir / "checkpoints", round_number, expected)
    return tf.nest.pack_sequence_as(template, leaves)


def _summary(workspace: Workspace, history, final_eval: EvalMetrics, export: ExportInfo, *,
             baselines: dict, eval_oov_rate: float, train_users: int, eval_users: int,
             seconds: float) -> dict[str, Any]:
    return {
        "top1_recall": final_eval.top1_recall,
        "top3_recall": final_eval.top3_recall,
        "top1_recall_without_oov": final_eval.top1_recall_without_oov,
        "eval_loss": final_eval.loss,
        "eval_scored_words": final_eval.scored_words,
        "eval_oov_rate": eval_oov_rate,
        "baselines": baselines,
        "rounds_completed": len(history),
        "round_seconds": [row.seconds for row in history],
        "train_users": train_users,
        "eval_users": eval_users,
        "vocab_size": workspace.vocab.size,
        "model_version": export.version,
        "data": str(workspace.data_path),
        "data_sha256": workspace.data_sha256,
        "config": workspace.config.to_dict(),
        "seconds_this_invocation": round(seconds, 2),
        "software": {"python": platform.python_version(), "tensorflow": tf.__version__,
                     "tensorflow_federated": tff.__version__, "numpy": np.__version__},
    }
