"""An interpolated Kneser-Ney n-gram model over vocabulary ids: a keyboard's production baseline.

Pure numpy. It is trained on the same encoded examples as the network (BOS/EOS from
`model.vocab`, out-of-vocabulary words as the one OOV id) and scores every vocabulary id at
every position, so the report scores it as it scores the network. An export may carry one
(`save`/`load`), which the keyboard interpolates with the network (`model.interpolation`).
Its counts are sums over the training users' messages: a federated sum gives the same tables.

Counts (Chen & Goodman 1999, interpolated Kneser-Ney with one discount per order):
the highest order uses raw counts; lower orders use continuation counts (how many distinct
words precede the n-gram), except n-grams that start with BOS, which cannot be preceded and
keep their raw counts. Each order interpolates with the next lower one; the lowest
interpolates with the uniform distribution over the predictable ids (every id but PAD and
BOS), so every predictable id has a probability > 0 and they sum to one in every context.

An n-gram is stored as one integer key, its ids read as digits in base `vocab_size`, so
lookups are sorted-array searches over a whole batch at once.
"""

from __future__ import annotations

import dataclasses
import os
import zipfile
from dataclasses import dataclass

import numpy as np

from model.vocab import BOS_ID, PAD_ID


@dataclass(frozen=True)
class _Order:
    """The interpolation terms of one order k >= 2, per context (the k-1 preceding ids).

    Attributes:
        contexts: sorted context keys.
        backoff_weight: per context, D * (distinct next ids) / (total count): the mass
            given to the lower order.
        row_starts: per context, where its next ids start in `next_ids` (CSR layout;
            one extra entry at the end).
        next_ids, discounted: the ids seen after each context and (count - D) / total.
    """

    contexts: np.ndarray
    backoff_weight: np.ndarray
    row_starts: np.ndarray
    next_ids: np.ndarray
    discounted: np.ndarray


class KneserNeyModel:
    """Interpolated Kneser-Ney next-id probabilities of order `order` (3 = trigram).

    Built by `count` (or read back by `load`); the constructor takes the finished tables.
    """

    def __init__(self, unigram: np.ndarray, orders: list[_Order]):
        self.vocab_size = len(unigram)
        self.order = len(orders) + 1
        self._unigram = unigram
        self._orders = orders

    @classmethod
    def count(cls, sequences: np.ndarray, *, vocab_size: int, order: int = 3
              ) -> KneserNeyModel:
        """Counts the n-grams of `sequences`.

        Args:
            sequences: int array `[messages, length]`: each row BOS, word ids, maybe EOS,
                then PAD (e.g. the first input column followed by the targets).
            vocab_size: ids the model scores, special tokens included.
            order: the longest n-gram, >= 1.
        """
        if order < 1:
            raise ValueError(f"order must be >= 1, got {order}")
        if vocab_size ** order >= np.iinfo(np.int64).max:
            raise ValueError(f"order {order} is too high for {vocab_size} ids (int64 keys)")
        counts = [_count_ngrams(sequences, k, vocab_size) for k in range(1, order + 1)]
        kn_counts = [_kneser_ney_counts(counts, k, vocab_size) for k in range(1, order + 1)]
        predictable = np.ones(vocab_size, dtype=bool)
        predictable[[PAD_ID, BOS_ID]] = False
        return cls(_unigram(*kn_counts[0], predictable),
                   [_interpolation_terms(*kn_counts[k - 1], vocab_size)
                    for k in range(2, order + 1)])

    def tables(self) -> dict[str, np.ndarray]:
        """The model's arrays by name: what `save` writes (and what identifies the model)."""
        return {"unigram": self._unigram, **{
            f"order{k}_{field.name}": getattr(terms, field.name)
            for k, terms in enumerate(self._orders, start=2)
            for field in dataclasses.fields(_Order)}}

    def save(self, path: str | os.PathLike) -> None:
        """Writes the tables to an `.npz` file (`load` reads it back)."""
        np.savez(path, **self.tables())

    @classmethod
    def load(cls, path: str | os.PathLike, *, vocab_size: int) -> KneserNeyModel:
        """Reads `save`'s file; ValueError if it is unreadable or for another vocabulary."""
        try:
            with np.load(path) as tables:
                arrays = dict(tables)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"{path}: not an n-gram file ({error})") from None
        unigram = arrays.pop("unigram", None)
        if unigram is None or unigram.shape != (vocab_size,):
            raise ValueError(f"{path}: its n-gram is not over the {vocab_size} ids of this "
                             "vocabulary")
        fields = [field.name for field in dataclasses.fields(_Order)]
        orders = []
        for k in range(2, 2 + len(arrays) // len(fields)):
            try:
                orders.append(_Order(**{name: arrays.pop(f"order{k}_{name}")
                                        for name in fields}))
            except KeyError as error:
                raise ValueError(f"{path}: order {k} lacks {error}") from None
        if arrays:
            raise ValueError(f"{path}: unexpected tables {sorted(arrays)}")
        return cls(unigram, orders)

    @property
    def table_bytes(self) -> int:
        """The size of the model's arrays: what a device stores to run it."""
        return sum(array.nbytes for array in self.tables().values())

    def next_log_probabilities(self, context_ids: np.ndarray) -> np.ndarray:
        """Log-probabilities `[vocab_size]` of the id after `context_ids` (BOS first when the
        message starts there): the keyboard's one query per word, over the last ids only."""
        recent = np.asarray(context_ids, dtype=np.int64)[-max(self.order - 1, 1):]
        return self.logits(recent[None, :])[0, -1]

    def probabilities(self, inputs: np.ndarray) -> np.ndarray:
        """Next-id probabilities after every prefix of every row.

        Args:
            inputs: int array `[batch, length]`; position t predicts the id after
                `inputs[:, :t + 1]`, using at most its last `order - 1` ids.

        Returns:
            float64 array `[batch, length, vocab_size]`, summing to one over the last axis.
        """
        batch, length = inputs.shape
        probabilities = np.broadcast_to(self._unigram, (batch * length, self.vocab_size)).copy()
        for k, terms in enumerate(self._orders, start=2):
            if len(terms.contexts) == 0:
                continue
            keys, valid = _context_keys(inputs, k - 1, self.vocab_size)
            found = np.searchsorted(terms.contexts, keys).clip(max=len(terms.contexts) - 1)
            rows = np.flatnonzero(valid.ravel() & (terms.contexts[found] == keys).ravel())
            context = found.ravel()[rows]
            probabilities[rows] *= terms.backoff_weight[context, None]
            starts, ends = terms.row_starts[context], terms.row_starts[context + 1]
            entries = _ranges(starts, ends)
            probabilities[np.repeat(rows, ends - starts), terms.next_ids[entries]] += (
                terms.discounted[entries])
        return probabilities.reshape(batch, length, self.vocab_size)

    def logits(self, inputs: np.ndarray) -> np.ndarray:
        """Log-probabilities (float32; -inf for PAD and BOS): a scorer like the network's
        logits, `[batch, length]` ids -> `[batch, length, vocab_size]`."""
        with np.errstate(divide="ignore"):
            return np.log(self.probabilities(inputs)).astype(np.float32)


def sequences_of(inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """The full id rows (BOS, words, EOS, PAD...) of next-word examples `(inputs, targets)`."""
    return np.concatenate([inputs[:, :1], targets], axis=1)


def _count_ngrams(sequences: np.ndarray, k: int, vocab_size: int) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """Unique keys of the k-grams ending at every real token after BOS, and their counts."""
    keys, valid = _window_keys(sequences, k, vocab_size)
    if k == 1:
        valid &= sequences != BOS_ID
    return np.unique(keys[valid], return_counts=True)


def _window_keys(sequences: np.ndarray, k: int, vocab_size: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """Keys of every window of k ids (`[rows, length - k + 1]`) and whether it has no PAD."""
    windows = max(sequences.shape[1] - k + 1, 0)
    keys = np.zeros((len(sequences), windows), dtype=np.int64)
    valid = np.ones(keys.shape, dtype=bool)
    for offset in range(k):
        window = sequences[:, offset:offset + windows].astype(np.int64)
        keys = keys * vocab_size + window
        valid &= window != PAD_ID
    return keys, valid


def _context_keys(inputs: np.ndarray, size: int, vocab_size: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Keys of the `size` ids ending at every position (`[batch, length]`), and validity.

    Positions with fewer than `size` ids before them, or with PAD among them, are invalid.
    """
    keys, valid = _window_keys(inputs, size, vocab_size)
    pad = ((0, 0), (inputs.shape[1] - keys.shape[1], 0))
    return np.pad(keys, pad), np.pad(valid, pad, constant_values=False)


def _kneser_ney_counts(counts: list[tuple[np.ndarray, np.ndarray]], k: int,
                       vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """The counts order k interpolates with: raw at the top order and after BOS, else
    continuation counts (distinct ids seen before the k-gram)."""
    keys, raw = counts[k - 1]
    if k == len(counts):
        return keys, raw
    suffixes, continuation = np.unique(counts[k][0] % vocab_size ** k, return_counts=True)
    # BOS only opens a row, so every k-gram not starting with it follows some id: it is
    # the suffix of a counted (k+1)-gram.
    preceded = keys // vocab_size ** (k - 1) != BOS_ID
    values = raw.copy()
    values[preceded] = continuation[np.searchsorted(suffixes, keys[preceded])]
    return keys, values


def _discount(counts: np.ndarray) -> float:
    """D = n1 / (n1 + 2 n2) from the counts of counts (0.75 when that is undefined)."""
    once, twice = np.sum(counts == 1), np.sum(counts == 2)
    if once == 0 or twice == 0:
        return 0.75
    return float(np.clip(once / (once + 2 * twice), 0.05, 0.95))


def _unigram(keys: np.ndarray, counts: np.ndarray, predictable: np.ndarray) -> np.ndarray:
    """Order-1 probabilities: discounted counts interpolated with the uniform distribution."""
    uniform = predictable / predictable.sum()
    if len(keys) == 0:
        return uniform
    discount = _discount(counts)
    total = counts.sum()
    probabilities = uniform * (discount * len(keys) / total)
    probabilities[keys] += (counts - discount) / total
    return probabilities


def _interpolation_terms(keys: np.ndarray, counts: np.ndarray, vocab_size: int) -> _Order:
    """Groups the k-grams of one order by context (keys are sorted, so contexts are too)."""
    discount = _discount(counts)
    contexts, row_starts, per_context = np.unique(keys // vocab_size, return_index=True,
                                                  return_counts=True)
    totals = np.add.reduceat(counts, row_starts) if len(keys) else np.zeros(0)
    return _Order(
        contexts=contexts,
        backoff_weight=discount * per_context / totals,
        row_starts=np.append(row_starts, len(keys)),
        next_ids=keys % vocab_size,
        discounted=(counts - discount) / np.repeat(totals, per_context))


def _ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The concatenation of `arange(start, end)` for every pair, without a Python loop."""
    lengths = ends - starts
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(starts, lengths) + offsets
