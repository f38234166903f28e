"""Prefix completion as the keyboard shows it: after the first letters of a word, is the word
among the three suggestions?

The candidates are the vocabulary words with the typed prefix, ranked by the model's logits
at that position, exactly as `model.suggest.Suggester` does (`PrefixIndex`, `top_words`).
Scored words are the metric's scored targets (after each message's first word) that are in
the vocabulary (an out-of-vocabulary word's letters are not kept, and it cannot be suggested
anyway) and longer than the prefix, i.e. that still have letters left to type.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from federated.evaluation.scoring import LogitsFn
from model.metrics import scored_positions
from model.suggest import PrefixIndex, top_words
from model.vocab import Vocabulary


def prefix_completion_recall(logits_fn: LogitsFn, inputs: np.ndarray, targets: np.ndarray,
                             vocab: Vocabulary, *, prefix_lengths: Sequence[int] = (1, 2, 3),
                             k: int = 3, batch_size: int = 128) -> dict[str, dict]:
    """Top-`k` completion recall after each number of typed letters.

    Returns:
        `{"<letters>": {"recall": share of scored words suggested, "words": how many}}`.
    """
    index = PrefixIndex(vocab)
    hits = dict.fromkeys(prefix_lengths, 0)
    words = dict.fromkeys(prefix_lengths, 0)
    mask = scored_positions(targets, exclude_oov=True).numpy()
    for start in range(0, len(inputs), batch_size):
        logits = logits_fn(inputs[start:start + batch_size])
        for row, position in zip(*np.nonzero(mask[start:start + batch_size])):
            target = int(targets[start + row, position])
            word = vocab.word_of(target)
            for letters in prefix_lengths:
                if len(word) <= letters:
                    continue
                candidates = index.ids_with_prefix(word[:letters])
                words[letters] += 1
                hits[letters] += target in top_words(logits[row, position], candidates, k)
    return {str(letters): {"recall": hits[letters] / max(words[letters], 1),
                           "words": words[letters]} for letters in prefix_lengths}
