"""The training clients of a generated population, as the trainer builds them: what the
benchmarks train on."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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
                 rounds: int) -> list[float]:
    """Seconds of each of `rounds` FedAvg rounds of `config` from a fresh state, on the TFF
    worker already running, with clients sampled as the trainer samples them."""
    from federated.training.run import training_process  # TFF: only when timing.

    process = training_process(model_fn, config, users=len(datasets))
    state = process.initialize()
    seconds = []
    for round_number in range(1, rounds + 1):
        clients = sample_clients(list(datasets), count=config.clients_per_round,
                                 seed=config.seed, round_number=round_number)
        started = time.perf_counter()
        state = process.next(state, [datasets[client] for client in clients]).state
        seconds.append(time.perf_counter() - started)
    return seconds
