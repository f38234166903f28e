"""Federated rounds: sample devices, train, aggregate, evaluate, checkpoint, repeat."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff
from tqdm import tqdm

from federated import checkpoint
from federated.availability import Availability
from federated.config import TrainConfig
from federated.history import RoundMetrics, latest_eval, write_history
from federated.sampling import RoundPlan, Sampler, plan_round, sample_clients
from federated.similarity_filter import left_out_count


@dataclass(frozen=True)
class EvalMetrics:
    """The global model's scores on the held-out users."""

    loss: float
    top1_recall: float
    top3_recall: float
    top1_recall_without_oov: float
    scored_words: int


@dataclass
class FederatedTask:
    """The processes and the data of one run, built once and reused every round."""

    training: tff.learning.templates.LearningProcess
    evaluation: tff.learning.templates.LearningProcess
    train_datasets: Mapping[str, tf.data.Dataset]
    eval_datasets: Sequence[tf.data.Dataset]
    device_clients: Sequence[str] = ()
    sampler: Sampler = sample_clients
    availability: Optional[Availability] = None
    malicious_clients: frozenset[str] = frozenset()

    def round_plan(self, config: TrainConfig, round_number: int) -> RoundPlan:
        """The users sampled for a round (among the eligible ones, when simulated), plus every
        device with logs (each once), and which of them survive the round."""
        eligible = (None if self.availability is None else
                    [c for c in self.availability.eligible(round_number)
                     if c in self.train_datasets])
        return plan_round(list(self.train_datasets), count=config.clients_per_round,
                          seed=config.seed, round_number=round_number,
                          always=self.device_clients, eligible=eligible,
                          dropout_rate=config.devices.dropout_rate, sampler=self.sampler)

    def evaluate(self, state: Any) -> EvalMetrics:
        """Federated evaluation of `state`'s global model on every held-out user."""
        eval_state = self.evaluation.set_model_weights(
            self.evaluation.initialize(), self.training.get_model_weights(state))
        output = self.evaluation.next(eval_state, list(self.eval_datasets))
        metrics = output.metrics["client_work"]["eval"]["current_round_metrics"]
        return EvalMetrics(loss=float(metrics["loss"]),
                           top1_recall=float(metrics["top1_recall"]),
                           top3_recall=float(metrics["top3_recall"]),
                           top1_recall_without_oov=float(metrics["top1_recall_without_oov"]),
                           scored_words=int(metrics["scored_words"]))


def run_rounds(
    task: FederatedTask,
    config: TrainConfig,
    run_dir: Path,
    *,
    state: Any,
    history: list[RoundMetrics],
) -> tuple[Any, list[RoundMetrics], Optional[EvalMetrics]]:
    """Runs rounds `len(history) + 1 .. config.rounds`, checkpointing after each.

    Returns:
        The final state, the full history, and the evaluation after the last round (None
        if no round was left to run).
    """
    history = list(history)
    final_eval = None
    first_round = len(history) + 1
    bar = tqdm(range(first_round, config.rounds + 1), initial=first_round - 1,
               total=config.rounds, desc="rounds", unit="round", dynamic_ncols=True)
    for round_number in bar:
        started = time.perf_counter()
        plan = task.round_plan(config, round_number)
        # A round nobody could train in (none eligible, or all dropped) leaves the model as
        # it is; FedAvg over zero clients is undefined.
        train = {"num_examples": 0, "loss": math.nan, "top1_recall": math.nan}
        left_out = None
        if plan.trained:
            output = task.training.next(state, [task.train_datasets[c] for c in plan.trained])
            state = output.state
            train = output.metrics["client_work"]["train"]
            left_out = left_out_count(output.metrics["aggregator"])
        evaluation = None
        if round_number % config.eval_every == 0 or round_number == config.rounds:
            evaluation = final_eval = task.evaluate(state)
        row = RoundMetrics(
            round=round_number, seconds=round(time.perf_counter() - started, 4),
            clients=len(plan.trained), train_examples=int(train["num_examples"]),
            train_loss=float(train["loss"]), train_top1_recall=float(train["top1_recall"]),
            sampled=len(plan.sampled), dropped=plan.dropped, eligible=plan.eligible,
            malicious=len(task.malicious_clients.intersection(plan.trained)), left_out=left_out,
            **({} if evaluation is None else {
                "eval_loss": evaluation.loss, "eval_top1_recall": evaluation.top1_recall,
                "eval_top3_recall": evaluation.top3_recall,
                "eval_top1_recall_without_oov": evaluation.top1_recall_without_oov}))
        # Metrics first: a crash between the two writes leaves metrics.csv one round ahead
        # of the checkpoint, and resuming trims metrics to the checkpoint and redoes the round.
        history.append(row)
        write_history(run_dir / "metrics.csv", history)
        checkpoint.save_leaves(run_dir / "checkpoints", round_number,
                                [np.asarray(leaf) for leaf in tf.nest.flatten(state)])
        last_eval = latest_eval(history)
        bar.set_postfix(loss=f"{row.train_loss:.3f}", s_per_round=f"{row.seconds:.1f}",
                        eval_top1=f"{last_eval.eval_top1_recall:.3f}" if last_eval else "-")
    bar.close()
    return state, history, final_eval
