"""One triggering run, end to end: client datasets, FedAvg, rounds, held-out scores, export.

The query-suggestion counterpart of `federated.training.run`: the same learning-process
builder, aggregators, privacy, sampling, round loop and checkpoints, on the training users'
impression logs. The global model is scored after each evaluated round on the held-out users'
impressions with the numpy model the export serves. The exported threshold keeps
`keep_share` of the training users' impressions (never the held-out users').
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np

from federated.aggregators.compression import upload_summary
from federated.aggregators.model_update import model_aggregator
from federated.learning.client_data import build_client_datasets
from federated.learning.impressions import make_triggering_model_fn, padded_examples, user_logs
from federated.learning.processes import build_training_process, update_specs
from federated.learning.worker import tff_worker
from federated.privacy.accounting import privacy_spent
from federated.simulation.sampling import SAMPLERS, RoundPlanner
from federated.training.metrics_file import read_rows
from federated.training.query_metrics import (
    QueryRecorder,
    QueryRoundMetrics,
    score_triggering,
)
from federated.training.query_workspace import QueryWorkspace
from federated.training.round_loop import Schedule, restore_state, run_rounds
from federated.training.summary import devices_summary, software_versions
from model.atomic_files import atomic_write_text
from model.click_metrics import threshold_for_share
from model.triggering_export import write_triggering_export
from model.triggering_network import to_triggering_model
from model.triggering_training import log_examples, predict


def initial_bias(labels: np.ndarray) -> float:
    """The log-odds of the training users' overall tap rate: where the bias starts.

    One aggregate count, which the search server sees anyway (a tapped suggestion runs a
    search); starting there spares the first rounds learning the base rate.
    """
    rate = float(np.clip(np.mean(labels), 1e-6, 1 - 1e-6))
    return math.log(rate / (1 - rate))


def train_queries(workspace: QueryWorkspace) -> dict[str, Any]:
    """Trains (or resumes) the triggering run of `workspace` and returns its summary."""
    config, files = workspace.config, workspace.files
    started = time.perf_counter()
    features = config.triggering
    logs = user_logs(workspace.train_impressions, features)
    eval_impressions = [i for user in workspace.eval_impressions.values() for i in user]
    eval_matrix, eval_labels = log_examples(eval_impressions, features)
    train_labels = np.concatenate([labels for _, labels in logs.values()])
    model_fn = make_triggering_model_fn(config.buckets,
                                        initial_bias=initial_bias(train_labels))
    datasets = build_client_datasets(padded_examples(logs), batch_size=config.batch_size,
                                     epochs=config.local_epochs, shuffle_seed=config.seed)
    aggregator = model_aggregator(config.aggregator, config.privacy,
                                  clients_per_round=config.clients_per_round,
                                  users=len(datasets), record_specs=update_specs(model_fn))
    process = build_training_process(model_fn, config.optimizers, config.privacy,
                                     aggregator=aggregator)

    def evaluate(state: Any, _last: bool):  # Scored centrally: every held-out user, always.
        trainable = process.get_model_weights(state).trainable
        return score_triggering(to_triggering_model(features, trainable), eval_matrix,
                                eval_labels)

    # As in the next-word run: devices with logged chips take the first places of this
    # invocation's first round, then are sampled like any phone.
    planner = RoundPlanner(
        list(datasets), count=config.clients_per_round, seed=config.seed,
        dropout_rate=config.devices.dropout_rate, sampler=SAMPLERS[config.privacy.sampling],
        eligible=None if workspace.availability is None else workspace.availability.eligible,
        priority=[device for device in workspace.device_clients if device in datasets],
        priority_round=workspace.resume_round + 1)
    with tff_worker(config.runtime, log_path=files.worker_log,
                    precompile=[process.next]) as workers:
        # The initial state depends only on the run's training labels (weights start at 0).
        state = process.initialize()
        history: list[QueryRoundMetrics] = []
        if workspace.resume_round:
            state = restore_state(state, process.state_type, files.checkpoints,
                                  workspace.resume_round)
            history = read_rows(files.metrics, QueryRoundMetrics)[: workspace.resume_round]
            print(f"resuming {workspace.run_dir} after round {workspace.resume_round}")
        state, history, final_eval = run_rounds(
            process, datasets.in_round, planner, evaluate,
            Schedule(rounds=config.rounds, eval_every=config.eval_every), files,
            state=state, history=history, recorder=QueryRecorder(),
            after_round=workers.after_round)
        final_eval = final_eval or evaluate(state, True)
        trainable = process.get_model_weights(state).trainable

    model = to_triggering_model(features, trainable)
    train_scores = np.concatenate([predict(model, matrix) for matrix, _ in logs.values()])
    threshold = threshold_for_share(train_scores, config.keep_share)
    eval_scores = predict(model, eval_matrix)
    shown = eval_scores >= threshold
    version = write_triggering_export(
        files.path, model, workspace.candidates, threshold=threshold,
        keep_share=config.keep_share, label=f"r{len(history):04d}",
        metadata={"rounds": len(history), "auc": final_eval.auc,
                  "data_sha256": workspace.data_sha256, "seed": config.seed})
    summary = {
        "auc": final_eval.auc,
        "log_loss": final_eval.log_loss,
        "ctr_at_half": final_eval.ctr_at_half,
        "show_always_ctr": float(eval_labels.mean()),
        "threshold": threshold,
        "keep_share": config.keep_share,
        "eval_share_shown": float(shown.mean()),
        "eval_ctr_shown": float(eval_labels[shown].mean()) if shown.any() else None,
        "rounds_completed": len(history),
        "round_seconds": [row.seconds for row in history],
        "train_users": len(logs),
        "eval_users": len(workspace.eval_impressions),
        "train_impressions": int(train_labels.size),
        "eval_impressions": int(eval_labels.size),
        "device_clients": list(workspace.device_clients),
        "candidates": len(workspace.candidates),
        "model_version": version,
        "data": str(workspace.data_path),
        "data_sha256": workspace.data_sha256,
        "logs_sha256": workspace.logs_sha256,
        "config": config.to_dict(),
        "seconds_this_invocation": round(time.perf_counter() - started, 2),
        "software": software_versions(),
        "dp": (privacy_spent(config.privacy, users=len(logs),
                             clients_per_round=config.clients_per_round, rounds=len(history))
               if config.privacy.dp else None),
        "communication": upload_summary([np.asarray(w) for w in trainable], config.privacy),
        "devices": devices_summary(config, history),
    }
    atomic_write_text(files.summary, json.dumps(summary, indent=2) + "\n")
    return summary
