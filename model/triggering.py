"""The on-device triggering model: should the keyboard show this query suggestion now?

Logistic regression over hashed binary features, as in Yang et al. 2018 (Gboard query
suggestions). Pure numpy: scoring one suggestion takes tens of microseconds, and the same code
extracts features for the centralized reference, federated clients and the keyboard.

Features, each a string hashed with CRC-32 (fixed across processes and machines, unlike
Python's salted `hash`) into `buckets` weights:

- the context's last `context_words` words (``c:``) and their bigrams (``cb:``);
- the candidate's words (``q:``) and the candidate itself (``qq:``);
- how many candidate words the context already has (``ov:``), and which (``ow:``);
- the baseline score, one-hot in tenths (``s:``) and as a value (``sv``);
- the hour of day (``h:``) and the position in the message (``p:``, capped);
- the user's own last `history_size` impressions: how many were shown and tapped (``hn:``,
  ``hk:``), their tap rate once there are a few (``hr:``), how many shared a content word
  with this candidate and how many of those were tapped (``hw:``), and whether this very
  candidate was shown or tapped before (``hs:``).
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from model.atomic_files import atomic_write_text, atomic_writer
from model.tokenizer import tokenize

FORMAT = "triggering-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "triggering.npz"
CONFIG_FILE = "triggering.json"
# Words too common in queries to say what a query is about ("how to", "near me").
_FUNCTION_WORDS = frozenset(
    "a an and are at be best can do does for from how i in is it me my near of on or the to "
    "vs what when where which who why with you your".split()
)


@dataclass(frozen=True)
class TriggeringConfig:
    """What decides the features; saved with every model so scoring rebuilds them exactly.

    Attributes:
        buckets: Hash buckets (weights), a power of two.
        context_words: How many of the context's last words are features.
        history_size: How many of the user's last impressions the history features look at.
    """

    buckets: int = 2**16
    context_words: int = 8
    history_size: int = 50

    def __post_init__(self) -> None:
        if self.buckets < 2 or self.buckets & (self.buckets - 1):
            raise ValueError(f"buckets must be a power of two >= 2, got {self.buckets}")
        if self.context_words < 1 or self.history_size < 1:
            raise ValueError("context_words and history_size must be >= 1")


@dataclass(frozen=True)
class PastImpression:
    """One earlier impression of the same user, as the history features see it.

    Attributes:
        candidate: The query shown.
        clicked: Whether it was tapped.
        content_words: The candidate's words that say what it is about (derived).
    """

    candidate: str
    clicked: bool
    content_words: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once: every later impression of the user compares against it.
        object.__setattr__(self, "content_words",
                           frozenset(_content_words(tokenize(self.candidate))))


@dataclass(frozen=True)
class Features:
    """A sparse feature vector: bucket ids and their values (duplicates add up)."""

    indices: np.ndarray
    values: np.ndarray


def feature_bucket(name: str, buckets: int) -> int:
    """The bucket of a feature name: CRC-32 of its UTF-8 bytes, modulo `buckets`."""
    return zlib.crc32(name.encode("utf-8")) % buckets


_COUNT_BUCKETS = ((0, "0"), (1, "1"), (2, "2"), (4, "3-4"), (8, "5-8"), (16, "9-16"))


def _count_bucket(count: int) -> str:
    """0, 1, 2, 3-4, 5-8, 9-16, 17+: counts matter less the larger they get."""
    for upper, label in _COUNT_BUCKETS:
        if count <= upper:
            return label
    return "17+"


def _content_words(words: Iterable[str]) -> set[str]:
    return {w for w in words if w not in _FUNCTION_WORDS}


def feature_names(
    context: str,
    candidate: str,
    *,
    baseline_score: float,
    hour: int,
    position: int,
    history: Sequence[PastImpression],
    config: TriggeringConfig,
) -> list[tuple[str, float]]:
    """The named features of one suggestion (see the module docstring), value 1 unless noted.

    Args:
        context: The words typed in the message before the suggestion.
        candidate: The suggested query.
        baseline_score: The baseline's score of the candidate.
        hour: Hour of day, 0-23.
        position: Words of the message typed so far.
        history: The user's earlier impressions, oldest first (only the last
            `config.history_size` are used).
        config: The feature options.
    """
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be in 0..23, got {hour}")
    context_words = tokenize(context)[-config.context_words :]
    candidate_words = tokenize(candidate)
    names = [f"c:{w}" for w in context_words]
    names += [f"cb:{a} {b}" for a, b in zip(context_words, context_words[1:])]
    names += [f"q:{w}" for w in candidate_words] + [f"qq:{' '.join(candidate_words)}"]
    shared = sorted(set(context_words) & set(candidate_words))
    names += [f"ov:{min(len(shared), 3)}"] + [f"ow:{w}" for w in shared]
    names += [f"s:{min(int(baseline_score * 10), 10)}", f"h:{hour}", f"p:{min(position, 12)}"]

    recent = history[-config.history_size :]
    clicks = sum(past.clicked for past in recent)
    names += [f"hn:{_count_bucket(len(recent))}", f"hk:{_count_bucket(clicks)}"]
    if len(recent) >= 3:
        rate = (clicks + 0.5) / (len(recent) + 1.0)
        names.append(f"hr:{min(int(math.log2(1.0 / rate)), 6)}")
    topic = _content_words(candidate_words)
    related = [past for past in recent if not topic.isdisjoint(past.content_words)]
    related_clicks = sum(past.clicked for past in related)
    names.append(f"hw:{_count_bucket(len(related))}/{_count_bucket(related_clicks)}")
    same = [past for past in recent if past.candidate == candidate]
    names.append(f"hs:{min(len(same), 2)}/{min(sum(p.clicked for p in same), 1)}")
    return [(name, 1.0) for name in names] + [("sv", float(baseline_score))]


def extract_features(
    context: str,
    candidate: str,
    *,
    baseline_score: float,
    hour: int,
    position: int,
    history: Sequence[PastImpression],
    config: TriggeringConfig,
) -> Features:
    """The hashed feature vector of one suggestion (arguments as in `feature_names`)."""
    named = feature_names(context, candidate, baseline_score=baseline_score, hour=hour,
                          position=position, history=history, config=config)
    indices = np.fromiter((feature_bucket(n, config.buckets) for n, _ in named), dtype=np.int64,
                          count=len(named))
    return Features(indices, np.fromiter((v for _, v in named), dtype=np.float64,
                                         count=len(named)))


class TriggeringModel:
    """Weights over hash buckets plus a bias; `probability` is the chance of a tap."""

    def __init__(self, config: TriggeringConfig, weights: np.ndarray, bias: float) -> None:
        weights = np.asarray(weights, dtype=np.float32)
        if weights.shape != (config.buckets,):
            raise ValueError(f"need {config.buckets} weights, got shape {weights.shape}")
        self.config = config
        self.weights = weights
        self.bias = float(bias)

    def logit(self, features: Features) -> float:
        """The log-odds of a tap."""
        return float(np.dot(self.weights[features.indices], features.values)) + self.bias

    def probability(self, features: Features) -> float:
        """The probability of a tap, in (0, 1)."""
        return 1.0 / (1.0 + math.exp(-min(max(self.logit(features), -500.0), 500.0)))


def save_triggering_model(directory: str | os.PathLike, model: TriggeringModel) -> None:
    """Writes `triggering.npz` (weights, bias) and `triggering.json` (format, config)."""
    directory = Path(directory)
    with atomic_writer(directory / WEIGHTS_FILE, binary=True) as stream:
        np.savez(stream, weights=model.weights, bias=np.float64(model.bias))
    config = {"format": FORMAT, "version": FORMAT_VERSION, "hash": "crc32",
              **asdict(model.config)}
    atomic_write_text(directory / CONFIG_FILE, json.dumps(config, indent=2) + "\n")


def load_triggering_model(directory: str | os.PathLike) -> TriggeringModel:
    """Reads a model written by `save_triggering_model`.

    Raises:
        ValueError: Not a triggering model, or a format version this code does not read.
    """
    directory = Path(directory)
    with open(directory / CONFIG_FILE, encoding="utf-8") as stream:
        saved = json.load(stream)
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise ValueError(f"{directory / CONFIG_FILE}: not a {FORMAT} config")
    if saved.get("version") != FORMAT_VERSION or saved.get("hash") != "crc32":
        raise ValueError(f"{directory / CONFIG_FILE}: {FORMAT} version {saved.get('version')!r}"
                         f", this code reads version {FORMAT_VERSION}; retrain or convert it")
    config = TriggeringConfig(buckets=saved["buckets"], context_words=saved["context_words"],
                              history_size=saved["history_size"])
    with np.load(directory / WEIGHTS_FILE) as arrays:
        return TriggeringModel(config, arrays["weights"], float(arrays["bias"]))
