"""Typed messages to fixed-length id sequences: the examples the model trains and is scored on."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from model.tokenizer import tokenize
from model.vocab import BOS_ID, EOS_ID, PAD_ID, Vocabulary


def encode_message(text: str, vocab: Vocabulary, *, max_words: int) -> list[int]:
    """Returns `[BOS] + word ids + [EOS]` for one message, keeping its first `max_words` words.

    A truncated message gets no EOS: it did not end there.
    """
    words = tokenize(text)
    ids = [BOS_ID, *(vocab.id_of(word) for word in words[:max_words])]
    if len(words) <= max_words:
        ids.append(EOS_ID)
    return ids


def encode_context(words: list[str], vocab: Vocabulary, *, max_words: int) -> list[int]:
    """Returns the model input for predicting the word after `words`: BOS and the last words.

    Keeps BOS only when the whole message fits, so serving sees what training saw.
    """
    if len(words) < max_words:
        return [BOS_ID, *(vocab.id_of(word) for word in words)]
    return [vocab.id_of(word) for word in words[-max_words:]]


def to_examples(
    texts: Iterable[str], vocab: Vocabulary, *, max_words: int
) -> tuple[np.ndarray, np.ndarray]:
    """Encodes messages as next-word examples.

    Returns:
        `(inputs, targets)`, int32 arrays of shape `[messages, max_words + 1]`, padded with
        PAD_ID; `targets[i, t]` is the token that follows `inputs[i, :t + 1]`. Messages with
        no words are dropped.
    """
    rows = [ids for ids in (encode_message(t, vocab, max_words=max_words) for t in texts)
            if len(ids) > 2 or (len(ids) == 2 and ids[1] != EOS_ID)]
    length = max_words + 1
    inputs = np.full((len(rows), length), PAD_ID, dtype=np.int32)
    targets = np.full((len(rows), length), PAD_ID, dtype=np.int32)
    for row, ids in enumerate(rows):
        inputs[row, : len(ids) - 1] = ids[:-1]
        targets[row, : len(ids) - 1] = ids[1:]
    return inputs, targets
