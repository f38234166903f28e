"""Per-user next-word examples as `tf.data` datasets, built when a round asks for them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from model.sequences import to_examples
from model.vocab import Vocabulary


def element_spec(sequence_length: int) -> tuple[tf.TensorSpec, tf.TensorSpec]:
    """The `(inputs, targets)` batch structure every client dataset yields."""
    spec = tf.TensorSpec(shape=[None, sequence_length], dtype=tf.int32)
    return spec, spec


def make_dataset(inputs: Any, targets: np.ndarray, *, batch_size: int, epochs: int = 1,
                 shuffle_seed: int | None = None) -> tf.data.Dataset:
    """Batches one user's examples for `epochs` passes, shuffled when `shuffle_seed` is given.

    `inputs` is an array, or a mapping of arrays, with one row per target.

    The shuffle order is the same every time the dataset is iterated (each round), which
    keeps runs and resumed runs identical.
    """
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(targets), seed=shuffle_seed,
                                  reshuffle_each_iteration=False)
    return dataset.repeat(epochs).batch(batch_size)


# One user's examples: inputs (an array, or a mapping of arrays) and targets, row for row.
Examples = tuple[Any, np.ndarray]


def pool_examples(examples_by_key: Mapping[str, Examples]) -> Examples:
    """Everyone's examples in one pair of arrays (for the server baselines and the n-gram)."""
    return (np.concatenate([inputs for inputs, _ in examples_by_key.values()]),
            np.concatenate([targets for _, targets in examples_by_key.values()]))


def encode_users(texts_by_user: Mapping[str, Iterable[str]], vocab: Vocabulary, *,
                 max_words: int) -> dict[str, Examples]:
    """Encodes every user's messages once; users with no usable message are left out."""
    examples = {}
    for user_id, texts in texts_by_user.items():
        inputs, targets = to_examples(texts, vocab, max_words=max_words)
        if len(inputs):
            examples[user_id] = (inputs, targets)
    return examples


class ClientDatasets(Mapping[str, tf.data.Dataset]):
    """Every user's dataset by user id, each built when it is looked up.

    A round trains a few clients of many: holding only the examples keeps preparation time
    and memory linear in the examples, not in one `tf.data` pipeline per user. A user's
    dataset is the same every time it is looked up (same examples, same shuffle seed);
    `in_round` is the dataset a user trains on in one round.
    """

    def __init__(self, examples_by_user: Mapping[str, Examples], *, batch_size: int,
                 epochs: int, shuffle_seed: int | None,
                 max_examples: int | None = None) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        if max_examples is not None and (max_examples < 1 or shuffle_seed is None):
            raise ValueError(f"a cap on a client's examples must be >= 1 and comes with a "
                             f"shuffle seed, got {max_examples} and {shuffle_seed}")
        self._examples = examples_by_user
        self._positions = {user_id: i for i, user_id in enumerate(examples_by_user)}
        self._batch_size = batch_size
        self._epochs = epochs
        self._shuffle_seed = shuffle_seed
        self._max_examples = max_examples

    def __getitem__(self, user_id: str) -> tf.data.Dataset:
        return self._dataset(user_id, *self._examples[user_id])

    def in_round(self, user_id: str, round_number: int) -> tf.data.Dataset:
        """The user's dataset in round `round_number`: every example, or, with a cap, a
        sample of `max_examples` of them drawn anew each round (seeded by the shuffle seed,
        the user's position and the round, so a resumed run draws the same)."""
        inputs, targets = self._examples[user_id]
        if self._max_examples is not None and len(targets) > self._max_examples:
            rows = np.sort(np.random.default_rng(
                [self._shuffle_seed, self._positions[user_id], round_number]).choice(
                len(targets), self._max_examples, replace=False))
            inputs = tf.nest.map_structure(lambda array: array[rows], inputs)
            targets = targets[rows]
        return self._dataset(user_id, inputs, targets)

    def _dataset(self, user_id: str, inputs: Any, targets: np.ndarray) -> tf.data.Dataset:
        seed = (None if self._shuffle_seed is None
                else self._shuffle_seed + self._positions[user_id])
        return make_dataset(inputs, targets, batch_size=self._batch_size, epochs=self._epochs,
                            shuffle_seed=seed)

    def __iter__(self) -> Iterator[str]:
        return iter(self._examples)

    def __len__(self) -> int:
        return len(self._examples)


def build_client_datasets(examples_by_user: Mapping[str, Examples], *, batch_size: int,
                          epochs: int = 1, shuffle_seed: int | None = None,
                          max_examples: int | None = None) -> ClientDatasets:
    """One dataset per user (in `examples_by_user`'s order), each with its own shuffle seed
    derived from `shuffle_seed`, built when looked up (`ClientDatasets`); with
    `max_examples`, a round trains a user on at most that many of their examples."""
    return ClientDatasets(examples_by_user, batch_size=batch_size, epochs=epochs,
                          shuffle_seed=shuffle_seed, max_examples=max_examples)
