"""The triggering model: a federated round against a central epoch, and the chip's decision.

    python -m benchmarks.triggering_round [--data runs/demo/histories.jsonl] [--rounds 15]

Reads the histories and the impression logs beside them and splits users as
`python -m federated.train_queries` does (default settings, seed 1). Then, measured in one run:

- a federated round of the triggering model (TFF, `clients_per_round` sampled users, one local
  epoch, default runtime) against one central Keras epoch of the same network over exactly
  the impressions of that round's clients, same batch size and learning rate;
- the chip's decision on every held-out impression, as the keyboard would make it in numpy:
  the model call (`TriggeringModel.probability` of extracted features) and the whole
  decision (features from the context, the candidate and the user's earlier impressions,
  then the call and the threshold), p50 and p99.

Goal: the model call's p99 <= 1 ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from federated.training.query_config import QueryTrainConfig
from federated.training.query_workspace import QueryWorkspace, prepare_query_workspace
from model.triggering import PastImpression, TriggeringModel, extract_features

MODEL_CALL_P99_GOAL_MS = 1.0
STEADY_FROM_ROUND = 3


def percentiles_ms(seconds: Sequence[float]) -> str:
    p50, p99 = np.percentile(np.asarray(seconds) * 1000, [50, 99])
    return f"p50 {p50:.3f} ms, p99 {p99:.3f} ms"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("runs/demo/histories.jsonl"),
                        help="histories with the impression and search logs beside them")
    parser.add_argument("--rounds", type=int, default=15,
                        help=f"federated rounds timed (at least {STEADY_FROM_ROUND + 2})")
    args = parser.parse_args(argv)
    if args.rounds < STEADY_FROM_ROUND + 2:
        parser.error(f"--rounds must be at least {STEADY_FROM_ROUND + 2}")
    config = QueryTrainConfig(seed=1)
    with tempfile.TemporaryDirectory() as scratch:
        try:
            workspace = prepare_query_workspace(args.data, Path(scratch) / "q", config,
                                                resume=False, skip_bad=True)
        except (ValueError, FileNotFoundError) as error:
            parser.error(str(error))
    decision_latency(workspace)
    round_against_epoch(workspace, args.rounds)


def decision_latency(workspace: QueryWorkspace) -> None:
    """Times the numpy decision on every held-out impression, in log order per user."""
    config = workspace.config.triggering
    rng = np.random.default_rng(1)  # Any weights: the call costs the same.
    model = TriggeringModel(config, rng.normal(0, 0.1, config.buckets), -2.0)
    calls, decisions = [], []
    for impressions in workspace.eval_impressions.values():
        history: list[PastImpression] = []
        for impression in impressions:
            started = time.perf_counter()
            features = extract_features(
                impression.context, impression.candidate,
                baseline_score=impression.baseline_score, hour=impression.hour,
                position=impression.position, history=history, config=config)
            called = time.perf_counter()
            _ = model.probability(features) >= 0.1
            finished = time.perf_counter()
            calls.append(finished - called)
            decisions.append(finished - started)
            history.append(PastImpression(impression.candidate, impression.clicked))
    met = float(np.percentile(np.asarray(calls) * 1000, 99)) <= MODEL_CALL_P99_GOAL_MS
    print(f"== chip decision, {len(calls)} held-out impressions (numpy)")
    print(f"model call:                     {percentiles_ms(calls)}  "
          f"(goal p99 <= {MODEL_CALL_P99_GOAL_MS} ms: {'met' if met else 'missed'})")
    print(f"features + call + threshold:    {percentiles_ms(decisions)}")


def round_against_epoch(workspace: QueryWorkspace, rounds: int) -> None:
    """Times federated rounds, then central epochs over the same rounds' impressions."""
    import tensorflow as tf

    from federated.aggregators.model_update import model_aggregator
    from federated.learning.client_data import build_client_datasets
    from federated.learning.impressions import (
        make_triggering_model_fn,
        padded_examples,
        user_logs,
    )
    from federated.learning.processes import build_training_process, update_specs
    from federated.learning.worker import tff_worker
    from federated.simulation.sampling import sample_clients
    from federated.training.query_run import initial_bias
    from model.triggering_network import INDICES, VALUES, build_triggering_network, triggering_loss

    config = workspace.config
    logs = user_logs(workspace.train_impressions, config.triggering)
    examples = padded_examples(logs)
    bias = initial_bias(np.concatenate([labels for _, labels in logs.values()]))
    datasets = build_client_datasets(examples, batch_size=config.batch_size,
                                     shuffle_seed=config.seed)
    model_fn = make_triggering_model_fn(config.buckets, initial_bias=bias)
    process = build_training_process(
        model_fn, config.optimizers, config.privacy,
        aggregator=model_aggregator(config.aggregator, config.privacy,
                                    clients_per_round=config.clients_per_round,
                                    users=len(datasets), record_specs=update_specs(model_fn)))

    def clients_of(round_number: int) -> list[str]:
        return sample_clients(list(datasets), count=config.clients_per_round, seed=config.seed,
                              round_number=round_number)

    seconds = []
    with tff_worker(config.runtime):
        state = process.initialize()
        for round_number in range(1, rounds + 1):
            started = time.perf_counter()
            state = process.next(state, [datasets[c] for c in clients_of(round_number)]).state
            seconds.append(time.perf_counter() - started)
    # Eager Keras after TFF has traced its graphs (the other order breaks Keras in TF 2.14).
    network = build_triggering_network(config.buckets, initial_bias=bias)
    network.compile(optimizer=tf.keras.optimizers.SGD(config.optimizers.client_learning_rate),
                    loss=triggering_loss())
    central = []
    for round_number in range(STEADY_FROM_ROUND, rounds + 1):
        pooled = [examples[c] for c in clients_of(round_number)]
        width = max(inputs[INDICES].shape[1] for inputs, _ in pooled)
        inputs = {name: np.concatenate([np.pad(x[name], ((0, 0), (0, width - x[name].shape[1])))
                                        for x, _ in pooled]) for name in (INDICES, VALUES)}
        labels = np.concatenate([y for _, y in pooled])
        started = time.perf_counter()
        network.fit(inputs, labels, batch_size=config.batch_size, epochs=1, shuffle=False,
                    verbose=0)
        central.append(time.perf_counter() - started)
    steady = statistics.median(seconds[STEADY_FROM_ROUND:])
    epoch = statistics.median(central[1:])  # The first fit traces.
    print(f"== triggering round vs central epoch ({config.clients_per_round} clients a round, "
          f"{len(datasets)} training users, {config.buckets} buckets)")
    print(f"first round (tracing): {seconds[0]:.3f} s; steady round (median of rounds "
          f"{STEADY_FROM_ROUND + 1}-{rounds}): {steady:.3f} s")
    print(f"central epoch over the same impressions (median): {epoch:.3f} s; "
          f"ratio round / epoch {steady / epoch:.2f}")


if __name__ == "__main__":
    main()
