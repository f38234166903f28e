"""Federated rounds: sample devices, train, aggregate, evaluate, checkpoint, repeat."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff
from tqdm import tqdm

from federated.aggregators.measurements import LEFT_OUT, find_measurement
from federated.simulation.sampling import RoundPlan
from federated.training import checkpoint
from federated.training.metrics_file import EvalMetrics, RoundMetrics, latest_eval, write_history
from federated.training.run_dir import RunDir


@dataclass(frozen=True)
class Evaluator:
    """Federated evaluation of a training state's global model on the held-out users."""

    training: tff.learning.templates.LearningProcess
    evaluation: tff.learning.templates.LearningProcess
    eval_datasets: Sequence[tf.data.Dataset]

    def __call__(self, state: Any) -> EvalMetrics:
        eval_state = self.evaluation.set_model_weights(
            self.evaluation.initialize(), self.training.get_model_weights(state))
        output = self.evaluation.next(eval_state, list(self.eval_datasets))
        metrics = output.metrics["client_work"]["eval"]["current_round_metrics"]
        return EvalMetrics(loss=float(metrics["loss"]),
                           top1_recall=float(metrics["top1_recall"]),
                           top3_recall=float(metrics["top3_recall"]),
                           top1_recall_without_oov=float(metrics["top1_recall_without_oov"]),
                           scored_words=int(metrics["scored_words"]))


@dataclass(frozen=True)
class Schedule:
    """When the loop stops and evaluates: rounds up to `rounds`, evaluating every
    `eval_every` rounds and after the last."""

    rounds: int
    eval_every: int

    def evaluates(self, round_number: int) -> bool:
        return round_number % self.eval_every == 0 or round_number == self.rounds


def run_rounds(
    training: tff.learning.templates.LearningProcess,
    client_datasets: Mapping[str, tf.data.Dataset],
    plan_round: Callable[[int], RoundPlan],
    evaluate: Callable[[Any], EvalMetrics],
    schedule: Schedule,
    run_dir: RunDir,
    *,
    state: Any,
    history: list[RoundMetrics],
    malicious_clients: frozenset[str] = frozenset(),
) -> tuple[Any, list[RoundMetrics], Optional[EvalMetrics]]:
    """Runs rounds `len(history) + 1 .. schedule.rounds`, checkpointing after each.

    Args:
        training: the learning process; `state` is its state after `len(history)` rounds.
        client_datasets: every training client's dataset, by client id.
        plan_round: the clients sampled for a round, and which of them survive it.
        evaluate: scores a state's global model on the held-out users.
        schedule: the last round, and the rounds that evaluate.
        run_dir: where metrics.csv and the checkpoints go.
        malicious_clients: attackers, counted per round in metrics.csv.

    Returns:
        The final state, the full history, and the evaluation after the last round (None
        if no round was left to run).
    """
    history = list(history)
    final_eval = None
    first_round = len(history) + 1
    bar = tqdm(range(first_round, schedule.rounds + 1), initial=first_round - 1,
               total=schedule.rounds, desc="rounds", unit="round", dynamic_ncols=True)
    for round_number in bar:
        started = time.perf_counter()
        plan = plan_round(round_number)
        # A round nobody could train in (none eligible, or all dropped) leaves the model as
        # it is; FedAvg over zero clients is undefined.
        train = {"num_examples": 0, "loss": math.nan, "top1_recall": math.nan}
        left_out = None
        if plan.trained:
            output = training.next(state, [client_datasets[c] for c in plan.trained])
            state = output.state
            train = output.metrics["client_work"]["train"]
            left_out = find_measurement(output.metrics["aggregator"], LEFT_OUT)
        evaluation = None
        if schedule.evaluates(round_number):
            evaluation = final_eval = evaluate(state)
        row = RoundMetrics(
            round=round_number, seconds=round(time.perf_counter() - started, 4),
            clients=len(plan.trained), train_examples=int(train["num_examples"]),
            train_loss=float(train["loss"]), train_top1_recall=float(train["top1_recall"]),
            sampled=len(plan.sampled), dropped=plan.dropped, eligible=plan.eligible,
            malicious=len(malicious_clients.intersection(plan.trained)), left_out=left_out,
            **({} if evaluation is None else {
                "eval_loss": evaluation.loss, "eval_top1_recall": evaluation.top1_recall,
                "eval_top3_recall": evaluation.top3_recall,
                "eval_top1_recall_without_oov": evaluation.top1_recall_without_oov}))
        # Metrics first: a crash between the two writes leaves metrics.csv one round ahead
        # of the checkpoint, and resuming trims metrics to the checkpoint and redoes the round.
        history.append(row)
        write_history(run_dir.metrics, history)
        checkpoint.save_leaves(run_dir.checkpoints, round_number,
                                [np.asarray(leaf) for leaf in tf.nest.flatten(state)])
        last_eval = latest_eval(history)
        bar.set_postfix(loss=f"{row.train_loss:.3f}", s_per_round=f"{row.seconds:.1f}",
                        eval_top1=f"{last_eval.eval_top1_recall:.3f}" if last_eval else "-")
    bar.close()
    return state, history, final_eval
