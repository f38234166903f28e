"""One training run, end to end: datasets, TFF processes, rounds, evaluation, export, summary.

The only module that reads the whole `TrainConfig` below the command line: it hands each
builder the part it needs.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import tensorflow as tf
import tensorflow_federated as tff

from federated.aggregators.compression import upload_summary
from federated.aggregators.model_update import Factory, model_aggregator
from federated.evaluation.scoring import (
    backdoor_success,
    keras_logits_fn,
    oov_rate,
    unigram_scores,
)
from federated.learning.boosting import build_boosting_process, uses_boosting, with_boost
from federated.learning.client_data import (
    ClientDatasets,
    Examples,
    build_client_datasets,
    encode_users,
    pool_examples,
)
from federated.learning.processes import (
    build_evaluation_process,
    build_training_process,
    make_model_fn,
    update_specs,
)
from federated.learning.worker import tff_worker
from federated.privacy.accounting import privacy_spent
from federated.simulation.sampling import SAMPLERS, RoundPlanner, sample_eval_users
from federated.training.config import TrainConfig
from federated.training.metrics_file import read_history
from federated.training.round_loop import (
    Evaluator,
    NextWordRecorder,
    Schedule,
    restore_state,
    run_rounds,
)
from federated.training.summary import attack_summary, devices_summary, run_summary
from federated.training.workspace import Workspace
from model.atomic_files import atomic_write_text
from model.export import write_export
from model.keras_io import load_keras_model, weights_by_name
from model.network import build_model
from model.ngram import KneserNeyModel, sequences_of
from model.serving import to_tflite

EVAL_BATCH_SIZE = 64


def train(workspace: Workspace) -> dict[str, Any]:
    """Trains (or resumes) the run described by `workspace` and returns its summary."""
    config = workspace.config
    files = workspace.files
    started = time.perf_counter()
    model_config = config.model_config(workspace.vocab.size)
    train_examples, eval_examples = encoded_users(workspace)
    if config.clients_per_round > len(train_examples):
        raise ValueError(f"--clients-per-round {config.clients_per_round} is more than the "
                         f"{len(train_examples)} training users with usable messages")
    model_fn = make_model_fn(model_config, seed=config.seed, dropout=config.model_dropout)
    malicious = frozenset(workspace.malicious_clients) & set(train_examples)
    client_datasets, eval_datasets = datasets_of(config, train_examples, eval_examples)
    training, client_dataset = _training(model_fn, config, malicious, client_datasets)
    periodic = sample_eval_users(list(eval_datasets), count=config.eval_users, seed=config.seed)
    evaluate = Evaluator(training, build_evaluation_process(model_fn),
                         list(eval_datasets.values()),
                         [eval_datasets[user] for user in periodic])
    with tff_worker(config.runtime, log_path=files.worker_log,
                    precompile=[training.next]) as workers:
        # Initial weights come from an eager Keras model, not from TFF's traced one: they
        # then depend only on the seed (or the init export), never on what the process did
        # before, so a resumed run and an uninterrupted run start from identical weights.
        # (Built after the TFF processes: TF 2.14 breaks eager Keras models built before
        # TFF traces its graphs.) The same model later carries the final weights to export.
        keras_model = (load_keras_model(workspace.init_from) if workspace.init_from
                       else build_model(model_config, seed=config.seed))
        state = training.set_model_weights(
            training.initialize(),
            tff.learning.models.ModelWeights.from_model(keras_model)
            .convert_variables_to_arrays())
        history = []
        if workspace.resume_round:
            state = restore_state(state, training.state_type, files.checkpoints,
                                  workspace.resume_round)
            history = read_history(files.metrics)[: workspace.resume_round]
            print(f"resuming {workspace.run_dir} after round {workspace.resume_round}")
        state, history, final_eval = run_rounds(
            training, client_dataset, _round_planner(workspace, list(client_datasets)),
            evaluate, Schedule(rounds=config.rounds, eval_every=config.eval_every), files,
            state=state, history=history, recorder=NextWordRecorder(malicious),
            after_round=workers.after_round)
        final_eval = final_eval or evaluate(state, True)
        model_weights = training.get_model_weights(state)

    model_weights.assign_weights_to(keras_model)
    eval_targets = pool_examples(eval_examples)[1]
    unigram = unigram_scores((t for _, t in train_examples.values()), workspace.vocab.size,
                             eval_targets)
    export = write_export(
        workspace.run_dir, model_config=model_config, vocab=workspace.vocab,
        weights=weights_by_name(keras_model), tflite_model=to_tflite(keras_model, model_config),
        label=f"r{len(history):04d}", network_weight=config.export_network_weight,
        ngram=(KneserNeyModel.count(sequences_of(*pool_examples(train_examples)),
                                    vocab_size=workspace.vocab.size)
               if config.export_network_weight < 1 else None),
        metadata={"rounds": len(history), "top1_recall": final_eval.top1_recall,
                  "top3_recall": final_eval.top3_recall, "data_sha256": workspace.data_sha256,
                  "data": str(workspace.data_path.resolve()), "seed": config.seed})
    backdoor = (backdoor_success(
        keras_logits_fn(keras_model), workspace.eval_texts, workspace.vocab,
        trigger_words=config.attack.trigger_words, target=config.attack.target_word,
        seed=config.seed, max_words=config.max_words)
        if config.attack.attack == "backdoor" else None)
    summary = run_summary(workspace, history, final_eval, export,
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
    atomic_write_text(files.summary, json.dumps(summary, indent=2) + "\n")
    return summary


def encoded_users(workspace: Workspace) -> tuple[dict[str, Examples], dict[str, Examples]]:
    """The training users' and the held-out users' examples, encoded once with the run's
    vocabulary (users with no usable message left out)."""
    config = workspace.config
    return (encode_users(workspace.train_texts, workspace.vocab, max_words=config.max_words),
            encode_users(workspace.eval_texts, workspace.vocab, max_words=config.max_words))


def datasets_of(config: TrainConfig, train_examples: Mapping[str, Examples],
                eval_examples: Mapping[str, Examples]
                ) -> tuple[ClientDatasets, dict[str, tf.data.Dataset]]:
    """The training clients' datasets (each built when a round looks it up) and every
    held-out user's evaluation dataset, by user."""
    return (build_client_datasets(train_examples, batch_size=config.batch_size,
                                  epochs=config.local_epochs, shuffle_seed=config.seed,
                                  max_examples=config.max_client_messages),
            dict(build_client_datasets(eval_examples, batch_size=EVAL_BATCH_SIZE)))


def _round_planner(workspace: Workspace, clients: list[str]) -> RoundPlanner:
    """Who takes part in each round: `clients_per_round` users sampled among those available
    (eligible, when simulated), each dropping out at the configured rate. In the first round
    an invocation runs, devices with logged messages (`--device-logs`) take the first places:
    their new data is trained on at once, then they are sampled like every other phone."""
    config = workspace.config
    return RoundPlanner(
        clients, count=config.clients_per_round, seed=config.seed,
        dropout_rate=config.devices.dropout_rate, sampler=SAMPLERS[config.privacy.sampling],
        eligible=None if workspace.availability is None else workspace.availability.eligible,
        priority=[device for device in workspace.device_clients if device in clients],
        priority_round=workspace.resume_round + 1)


def update_aggregator(model_fn, config: TrainConfig, *, users: int) -> Factory:
    """The aggregator of model updates `config` asks for, over `users` training users."""
    return model_aggregator(
        config.aggregator, config.privacy, clients_per_round=config.clients_per_round,
        users=users, record_specs=update_specs(model_fn),
        trim_fraction=config.trim_fraction, bucket_size=config.bucket_size)


def training_process(model_fn, config: TrainConfig, *,
                     users: int) -> tff.learning.templates.LearningProcess:
    """FedAvg as `config` asks for it (no boosting clients), over `users` training users."""
    return build_training_process(model_fn, config.optimizers, config.privacy,
                                  aggregator=update_aggregator(model_fn, config, users=users))


def _training(model_fn, config: TrainConfig, malicious: frozenset[str],
              datasets: ClientDatasets
              ) -> tuple[tff.learning.templates.LearningProcess,
                         Callable[[str, int], tf.data.Dataset]]:
    """The learning process and the client datasets it takes (by client and round): FedAvg on
    the datasets as they are, or, when malicious clients boost, FedAvg whose client data
    carries boost factors."""
    if not uses_boosting(config.attack, len(malicious)):
        return training_process(model_fn, config, users=len(datasets)), datasets.in_round
    factor = config.attack.boost_factor
    aggregator = update_aggregator(model_fn, config, users=len(datasets))
    return (build_boosting_process(model_fn, config.optimizers, aggregator=aggregator),
            lambda client, round_number: with_boost(datasets.in_round(client, round_number),
                                                    factor if client in malicious else 1.0))

