"""The network's hyper-parameters: pure Python, saved beside every export."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters that rebuild the exact network; saved beside its weights.

    Attributes:
        vocab_size: ids the model reads and scores, special tokens included (derived from
            the vocabulary, never typed by hand).
        embedding_dim: width of the word embedding, shared by input and output.
        lstm_units: width of the CIFG cell state (Gboard: 670; ours is smaller for 2 cores).
        max_words: words per message the model sees; sequences are `max_words + 1` long.
    """

    vocab_size: int
    embedding_dim: int = 96
    lstm_units: int = 256
    max_words: int = 20

    def __post_init__(self):
        for name in ("vocab_size", "embedding_dim", "lstm_units", "max_words"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def sequence_length(self) -> int:
        return self.max_words + 1
