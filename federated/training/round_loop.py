"""Federated rounds: sample devices, train, aggregate, evaluate, checkpoint, repeat."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import tensorflow as tf
import tensorflow_federated as tff
from tqdm import tqdm

from federated.simulation.sampling import RoundPlan
from federated.training import checkpoint
from federated.training.metrics_file import (
    EvalMetrics,
    NextWordRecorder,
    RoundOutcome,
    RoundRecorder,
)
from federated.training.run_dir import RunDir


@dataclass(frozen=True)
class Evaluator:
    """Federated evaluation of a training state's global model on the held-out users: every
    one after the last round, and `periodic_datasets` (a sample of them, or all when None)
    in the rounds before."""

    training: tff.learning.templates.LearningProcess
    evaluation: tff.learning.templates.LearningProcess
    eval_datasets: Sequence[tf.data.Dataset]
    periodic_datasets: Sequence[tf.data.Dataset] | None = None

    def __call__(self, state: Any, last: bool) -> EvalMetrics:
        datasets = (self.eval_datasets if last or self.periodic_datasets is None
                    else self.periodic_datasets)
        eval_state = self.evaluation.set_model_weights(
            self.evaluation.initialize(), self.training.get_model_weights(state))
        output = self.evaluation.next(eval_state, list(datasets))
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


@contextlib.contextmanager
def interrupts_between_rounds() -> Iterator[Callable[[], bool]]:
    """Holds a Ctrl-C (SIGINT) until the round it arrives in is saved; yields whether one came.

    A KeyboardInterrupt raised while TFF's runtime is computing can be lost in it, and the run
    would go on; held as a flag, it stops the run at the next round boundary. A second Ctrl-C
    interrupts at once. Only the main thread can handle signals: elsewhere, and where SIGINT
    is ignored, nothing is held.
    """
    previous = signal.getsignal(signal.SIGINT)
    if (threading.current_thread() is not threading.main_thread()
            or previous is signal.SIG_IGN):
        yield lambda: False
        return
    pressed = threading.Event()

    def hold(_signum, _frame) -> None:
        pressed.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, hold)
    try:
        yield pressed.is_set
    finally:
        signal.signal(signal.SIGINT, previous)


def run_rounds(
    training: tff.learning.templates.LearningProcess,
    client_dataset: Callable[[str, int], tf.data.Dataset],
    plan_round: Callable[[int], RoundPlan],
    evaluate: Callable[[Any, bool], Any],
    schedule: Schedule,
    run_dir: RunDir,
    *,
    state: Any,
    history: list[Any],
    recorder: RoundRecorder = NextWordRecorder(),  # noqa: B008 (frozen, immutable)
    after_round: Callable[[int], None] = lambda _round_number: None,
) -> tuple[Any, list[Any], Any]:
    """Runs rounds `len(history) + 1 .. schedule.rounds`, checkpointing after each.

    Args:
        training: the learning process; `state` is its state after `len(history)` rounds.
        client_dataset: a training client's dataset in a round, by client id and round.
        plan_round: the clients sampled for a round, and which of them survive it.
        evaluate: scores a state's global model on the held-out users; its flag is set
            after the last round (which scores every one: `Evaluator`).
        schedule: the last round, and the rounds that evaluate.
        run_dir: where metrics.csv and the checkpoints go.
        history: the rows of the rounds before (`recorder`'s rows).
        recorder: turns each round into its metrics.csv row (default: the next-word run's).
        after_round: called with each round's number once it is saved, but the last's
            (`Workers.after_round`: a fresh TFF worker now and then).

    Returns:
        The final state, the full history, and the evaluation after the last round (None
        if no round was left to run).
    """
    history = list(history)
    final_eval = None
    first_round = len(history) + 1
    with interrupts_between_rounds() as interrupted, tqdm(
            range(first_round, schedule.rounds + 1), initial=first_round - 1,
            total=schedule.rounds, desc="rounds", unit="round", dynamic_ncols=True) as bar:
        for round_number in bar:
            started = time.perf_counter()
            plan = plan_round(round_number)
            # A round nobody could train in (none eligible, or all dropped) leaves the model as
            # it is; FedAvg over zero clients is undefined.
            train: Mapping[str, Any] = {}
            measurements = None
            if plan.trained:
                output = training.next(
                    state, [client_dataset(c, round_number) for c in plan.trained])
                state = output.state
                train = output.metrics["client_work"]["train"]
                measurements = output.metrics["aggregator"]
            evaluation = None
            if schedule.evaluates(round_number):
                evaluation = final_eval = evaluate(state, round_number == schedule.rounds)
            row = recorder.row(RoundOutcome(
                round=round_number, seconds=round(time.perf_counter() - started, 4), plan=plan,
                train=train, aggregator=measurements, evaluation=evaluation))
            # Metrics first: a crash between the two writes leaves metrics.csv one round ahead
            # of the checkpoint, and resuming trims metrics to the checkpoint and redoes the round.
            history.append(row)
            recorder.write(run_dir.metrics, history)
            checkpoint.save_leaves(run_dir.checkpoints, round_number,
                                    [np.asarray(leaf) for leaf in tf.nest.flatten(state)])
            bar.set_postfix(recorder.progress(history))
            if interrupted():  # Ctrl-C came during the round, which is now saved.
                raise KeyboardInterrupt
            if round_number < schedule.rounds:
                after_round(round_number)
                if interrupted():  # Ctrl-C came during `after_round`.
                    raise KeyboardInterrupt
    return state, history, final_eval


def restore_state(template: Any, state_type: tff.FederatedType, checkpoints: Path,
                  round_number: int) -> Any:
    """The state checkpointed after `round_number`, in the structure of `template`."""
    # Shapes from the state's type, not from `template`: tree-DP noise buffers grow with
    # the rounds, and their type leaves that dimension open (None).
    expected = [tuple(spec.shape.as_list()) for spec in
                tf.nest.flatten(tff.types.type_to_tf_tensor_specs(state_type.member))]
    leaves = checkpoint.load_leaves(checkpoints, round_number, expected)
    return tf.nest.pack_sequence_as(template, leaves)
