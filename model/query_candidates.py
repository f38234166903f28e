"""The query-suggestion baseline: for what is typed, propose a search query people searched.

Candidates are the search queries that at least `min_users` distinct users typed (a popular
query reveals no one; a query only its author typed would), normalised by the shared tokenizer.
Each keeps how many users typed it and, when known, its topic (the simulator's interest; only
the click simulation reads it). Nothing here knows about splits: the caller passes only
training users' queries, so held-out users' queries can never be proposed.

Retrieval is tf-idf cosine between the last words of the context and each candidate, over an
inverted index keyed by word. Words in more than `stop_share` of the candidates ("how", "to",
"for") are stop words: they carry no topic and their long postings lists would make each
keystroke slow. A keystroke therefore touches only the postings of the context's rarer words.

Saved as a small JSON file beside a model export; the index is rebuilt on load.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Optional

import numpy as np

from model.atomic_files import atomic_write_text
from model.tokenizer import tokenize

FORMAT = "query-candidates"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class QueryCandidate:
    """One proposable query.

    Attributes:
        text: The query, tokenized and joined by single spaces (lower case).
        users: How many distinct users typed it.
        topic: Its most common topic among those users' records, if records carried one.
    """

    text: str
    users: int
    topic: Optional[str] = None


@dataclass(frozen=True)
class Proposal:
    """A candidate proposed for a context, with its baseline score in [0, 1] (cosine)."""

    candidate: QueryCandidate
    score: float


def normalize_query(text: str) -> str:
    """The canonical form of a query: its tokens joined by single spaces."""
    return " ".join(tokenize(text))


class QueryIndex:
    """Proposes candidates for a typed context (see the module docstring)."""

    def __init__(
        self,
        candidates: Sequence[QueryCandidate],
        *,
        stop_share: float = 0.05,
        window: int = 8,
    ) -> None:
        """Indexes `candidates` (distinct texts, each non-empty).

        Args:
            candidates: What may be proposed.
            stop_share: Words in more than this share of candidates are ignored.
            window: How many of the context's last words are matched.
        """
        if not 0.0 < stop_share <= 1.0:
            raise ValueError(f"stop_share must be in (0, 1], got {stop_share}")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        # Tie order: more users first, then alphabetical, so answers never depend on input order.
        candidates = sorted(candidates, key=lambda c: (-c.users, c.text))
        texts = [candidate.text for candidate in candidates]
        if len(set(texts)) != len(texts) or not all(texts):
            raise ValueError("candidate texts must be distinct and non-empty")
        self.candidates = tuple(candidates)
        self.stop_share = stop_share
        self.window = window
        document_frequency = Counter(word for text in texts for word in set(text.split(" ")))
        limit = stop_share * len(texts)
        count = max(len(texts), 1)
        # Smoothed idf; stop words get none, so they neither retrieve nor score.
        self._idf = {
            word: math.log((1 + count) / (1 + df)) + 1.0
            for word, df in document_frequency.items()
            if df <= limit
        }
        postings: dict[str, list[int]] = defaultdict(list)
        norms = np.zeros(len(texts))
        for index, text in enumerate(texts):
            words = [w for w in dict.fromkeys(text.split(" ")) if w in self._idf]
            for word in words:
                postings[word].append(index)
            norms[index] = math.sqrt(sum(self._idf[w] ** 2 for w in words))
        self._postings = {w: np.asarray(ids, dtype=np.int64) for w, ids in postings.items()}
        # A candidate made only of stop words is never proposed (its norm stays 0).
        self._inverse_norms = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        self._by_text = {text: index for index, text in enumerate(texts)}

    def __len__(self) -> int:
        return len(self.candidates)

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and normalize_query(text) in self._by_text

    def matched_words(self, context_words: Sequence[str]) -> tuple[str, ...]:
        """The words `propose` matches for a context: its last `window` words that are
        indexed (not stop words), each once, in order. Equal matched words, equal proposals."""
        return tuple(w for w in dict.fromkeys(context_words[-self.window :]) if w in self._idf)

    def propose(self, context_words: Sequence[str], *, k: int = 1) -> list[Proposal]:
        """The `k` best candidates for the context's last `window` words, best first.

        Ties in score go to the more popular candidate, then to the alphabetically first.
        Candidates sharing no indexed word with the context are never proposed.
        """
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        words = self.matched_words(context_words)
        if not words:
            return []
        weights = np.array([self._idf[w] ** 2 for w in words])
        postings = [self._postings[w] for w in words]
        dots = np.bincount(np.concatenate(postings), minlength=len(self.candidates),
                           weights=np.repeat(weights, [len(p) for p in postings]))
        scores = dots * self._inverse_norms / math.sqrt(weights.sum())
        if k == 1:
            best = int(np.argmax(scores))  # The first maximum: candidates are in tie order.
            chosen = [best] if scores[best] > 0 else []
        else:
            matched = np.flatnonzero(scores > 0)
            chosen = matched[np.lexsort((matched, -scores[matched]))][:k].tolist()
        return [Proposal(self.candidates[i], min(float(scores[i]), 1.0)) for i in chosen]

    def to_json(self) -> str:
        """The index as JSON: its options and candidates (the postings are rebuilt on load)."""
        return json.dumps(
            {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "stop_share": self.stop_share,
                "window": self.window,
                "candidates": [
                    {"text": c.text, "users": c.users, **({"topic": c.topic} if c.topic else {})}
                    for c in self.candidates
                ],
            },
            ensure_ascii=False,
            indent=0,
        )


def build_query_index(
    queries: Iterable[tuple[str, str, Optional[str]]],
    *,
    min_users: int = 2,
    stop_share: float = 0.05,
    window: int = 8,
) -> QueryIndex:
    """Builds the baseline from typed search queries.

    Args:
        queries: ``(user_id, text, topic)`` of each search query typed (topic may be None):
            only the users whose queries may be proposed, e.g. training users.
        min_users: A query is a candidate once this many distinct users typed it.
        stop_share: See `QueryIndex`.
        window: See `QueryIndex`.

    Returns:
        The index (candidates sorted by users, descending, then text).
    """
    if min_users < 1:
        raise ValueError(f"min_users must be >= 1, got {min_users}")
    users: dict[str, set[str]] = defaultdict(set)
    topics: dict[str, Counter] = defaultdict(Counter)
    for user_id, text, topic in queries:
        normalized = normalize_query(text)
        if not normalized:
            continue
        users[normalized].add(user_id)
        if topic is not None:
            topics[normalized][topic] += 1
    candidates = [
        QueryCandidate(
            text,
            len(typed_by),
            # Most common topic; ties to the alphabetically first, for determinism.
            min(topics[text].items(), key=lambda kv: (-kv[1], kv[0]))[0] if topics[text] else None,
        )
        for text, typed_by in users.items()
        if len(typed_by) >= min_users
    ]
    return QueryIndex(candidates, stop_share=stop_share, window=window)


def load_query_index(path: str | os.PathLike) -> QueryIndex:
    """Reads an index written by `save_query_index`.

    Raises:
        ValueError: The file is not a query-candidates file of a supported version.
    """
    with open(path, encoding="utf-8") as stream:
        value = json.load(stream)
    if not isinstance(value, dict) or value.get("format") != FORMAT:
        raise ValueError(f"{os.fspath(path)}: not a {FORMAT} file")
    if value.get("version") != FORMAT_VERSION:
        raise ValueError(
            f"{os.fspath(path)}: {FORMAT} version {value.get('version')!r}, this code reads "
            f"version {FORMAT_VERSION}; rebuild the index"
        )
    candidates = [QueryCandidate(c["text"], int(c["users"]), c.get("topic"))
                  for c in value["candidates"]]
    return QueryIndex(candidates, stop_share=value["stop_share"], window=value["window"])


def save_query_index(path: str | os.PathLike, index: QueryIndex) -> None:
    """Writes the index as JSON, atomically."""
    atomic_write_text(path, index.to_json() + "\n")
