"""The training clients of a generated population, as the trainer builds them: what the
benchmarks train on."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from data.records import group_by_user
from data.split import split_users
from data.synthetic.config import GenerationConfig
from data.synthetic.simulator import generate_records
from federated.learning.client_data import Examples, build_client_datasets, encode_users
from federated.simulation.sampling import sample_clients
from federated.training.config import TrainConfig
from federated.training.workspace import texts_by_user
from model.vocab import Vocabulary, build_vocabulary


@dataclass(frozen=True)
class GeneratedClients:
    """The training users' vocabulary, encoded examples and one-epoch datasets, by user."""

    vocab: Vocabulary
    examples: dict[str, Examples]
    datasets: Mapping[str, tf.data.Dataset]


def generated_clients(users: int, config: TrainConfig) -> GeneratedClients:
    """Generates `users` users (seed 1), holds out `config`'s share and encodes the rest."""
    split = split_users(group_by_user(generate_records(GenerationConfig(users=users, seed=1))),
                        eval_fraction=config.eval_fraction, seed=config.seed)
    train_texts = texts_by_user(split.train)
    vocab = build_vocabulary(train_texts, size=config.vocab_words)
    examples = encode_users(train_texts, vocab, max_words=config.max_words)
    return GeneratedClients(vocab, examples, build_client_datasets(
        examples, batch_size=config.batch_size, epochs=1, shuffle_seed=config.seed))


def timed_rounds(config: TrainConfig, model_fn: Callable, datasets: Mapping[str, tf.data.Dataset],
                 rounds: int) -> tuple[list[float], list[list[str]]]:
    """Seconds of each of `rounds` FedAvg rounds of `config` from a fresh state, on the TFF
    worker already running, with clients sampled as the trainer samples them; and each
    round's clients."""
    from federated.training.run import training_process  # TFF: only when timing.

    process = training_process(model_fn, config, users=len(datasets))
    state = process.initialize()
    seconds, sampled = [], []
    for round_number in range(1, rounds + 1):
        clients = sample_clients(list(datasets), count=config.clients_per_round,
                                 seed=config.seed, round_number=round_number)
        started = time.perf_counter()
        state = process.next(state, [datasets[client] for client in clients]).state
        seconds.append(time.perf_counter() - started)
        sampled.append(clients)
    return seconds, sampled


def central_epoch(model: tf.keras.Model, examples: Mapping[str, Examples],
                  clients: Sequence[str], *, batch_size: int) -> tuple[float, int]:
    """Seconds of one Keras epoch of the compiled `model` over exactly `clients`' examples, in
    their order, and how many examples that was: a round's central counterpart."""
    inputs = np.concatenate([examples[client][0] for client in clients])
    targets = np.concatenate([examples[client][1] for client in clients])
    started = time.perf_counter()
    model.fit(inputs, targets, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - started, len(targets)
