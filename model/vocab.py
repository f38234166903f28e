"""Special tokens and the vocabulary: defined once, every size derived from them."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from model.tokenizer import tokenize


@dataclass(frozen=True)
class SpecialTokens:
    """The reserved ids at the start of every vocabulary, in id order."""

    pad: str = "<pad>"
    oov: str = "<oov>"
    bos: str = "<bos>"
    eos: str = "<eos>"

    def as_list(self) -> list[str]:
        return [self.pad, self.oov, self.bos, self.eos]


SPECIAL_TOKENS = SpecialTokens()
PAD_ID, OOV_ID, BOS_ID, EOS_ID = range(len(SPECIAL_TOKENS.as_list()))
NUM_SPECIAL_TOKENS = len(SPECIAL_TOKENS.as_list())


class Vocabulary:
    """Maps words to ids: the special tokens first, then words by rank."""

    def __init__(self, words: Sequence[str]):
        """Builds a vocabulary from regular words (no special tokens), best rank first."""
        specials = set(SPECIAL_TOKENS.as_list())
        if any(word in specials for word in words):
            raise ValueError("words must not contain the special tokens; they are added here")
        if len(set(words)) != len(words):
            raise ValueError("words must be distinct")
        self._tokens = [*SPECIAL_TOKENS.as_list(), *words]
        self._ids = {token: index for index, token in enumerate(self._tokens)}

    @property
    def size(self) -> int:
        """Number of ids, special tokens included (the model's input/output size)."""
        return len(self._tokens)

    @property
    def words(self) -> list[str]:
        """The regular words, in id order (without special tokens)."""
        return self._tokens[NUM_SPECIAL_TOKENS:]

    def word_of(self, token_id: int) -> str:
        """Returns the token (word or special token) with id `token_id`."""
        return self._tokens[token_id]

    def id_of(self, word: str) -> int:
        """Returns the id of `word`, or the out-of-vocabulary id."""
        return self._ids.get(word, OOV_ID)

    def __contains__(self, word: str) -> bool:
        return word in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self._tokens == other._tokens

    def __hash__(self) -> int:
        return hash(tuple(self._tokens))

    def save(self, path: str | os.PathLike) -> None:
        """Writes `vocab.txt`: one token per line in id order, special tokens first."""
        Path(path).write_text("\n".join(self._tokens) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Reads a file written by `save`, checking its special tokens."""
        tokens = Path(path).read_text(encoding="utf-8").splitlines()
        if tokens[:NUM_SPECIAL_TOKENS] != SPECIAL_TOKENS.as_list():
            raise ValueError(f"{path}: does not start with the special tokens "
                             f"{SPECIAL_TOKENS.as_list()}")
        return cls(tokens[NUM_SPECIAL_TOKENS:])


def build_vocabulary(texts_by_user: Mapping[str, Iterable[str]], *, size: int) -> Vocabulary:
    """Builds a vocabulary of at most `size` regular words from training users' texts.

    Words are ranked by how many distinct users typed them (as TFF's Stack Overflow task
    does, so one heavy user cannot fill the vocabulary with their own words), then by total
    count, then alphabetically so the result is deterministic.
    """
    if size < 1:
        raise ValueError(f"vocabulary size must be >= 1, got {size}")
    users_per_word: Counter[str] = Counter()
    count_per_word: Counter[str] = Counter()
    for texts in texts_by_user.values():
        user_words: set[str] = set()
        for text in texts:
            words = tokenize(text)
            count_per_word.update(words)
            user_words.update(words)
        users_per_word.update(user_words)
    ranked = sorted(users_per_word, key=lambda w: (-users_per_word[w], -count_per_word[w], w))
    return Vocabulary(ranked[:size])
