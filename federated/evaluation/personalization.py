"""What the federated evaluation of personalization measured, in figures (numpy).

Input: the per-client counts that `federated.learning.personalization`'s computation brings
to the server (never weights, never words). Output: the population's top-1 recall before and
after personalization, the distribution of per-user gains, its breakdowns by activity and by
amount of personal data, and the choices made from them (strategy, interpolation, the number of
messages below which a device keeps the global model).

A user's gain is in recall points (percent of their scored words); the headline relative gain is
that of the population's top-1 recall (words weighted, as every recall of this project).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from federated.evaluation.recall_breakdown import tercile_users

LOSS_POINTS = 1.0  # A user "loses" when their top-1 recall drops by more than this.
MAX_SHARE_LOSING = 0.1  # A setting and threshold are preferred only if fewer lose.


@dataclass(frozen=True)
class ClientScores:
    """One client's counts: its data, and its top-1 hits with each model, without and with the
    word cache (`*_with_cache`)."""

    personal_messages: int
    scored_messages: int
    scored_words: int
    global_hits: int
    personal_hits: int
    global_hits_with_cache: int
    personal_hits_with_cache: int


def merge_outputs(outputs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Concatenates the per-client lists of several calls of the computation."""
    first = outputs[0]
    if isinstance(first, Mapping):
        return {key: merge_outputs([output[key] for output in outputs]) for key in first}
    return np.concatenate([np.asarray(output) for output in outputs])


def client_scores(metrics: Mapping[str, Any], strategy: str, interpolation: str,
                  *, baseline: str, sizes: str) -> list[ClientScores]:
    """The clients' scores for one strategy at one interpolation, from merged outputs."""
    base, tuned, size = metrics[baseline], metrics[strategy][interpolation], metrics[sizes]
    return [ClientScores(int(personal), int(scored), int(words), int(g), int(p), int(gc),
                         int(pc))
            for personal, scored, words, g, p, gc, pc in zip(
                size["personal_messages"], size["scored_messages"], base["scored_words"],
                base["top1_hits"], tuned["top1_hits"], base["top1_hits_with_cache"],
                tuned["top1_hits_with_cache"])]


def _hits(client: ClientScores, *, personalized: bool, with_cache: bool) -> int:
    if personalized:
        return client.personal_hits_with_cache if with_cache else client.personal_hits
    return client.global_hits_with_cache if with_cache else client.global_hits


def gains(clients: Sequence[ClientScores], *, min_messages: int,
          with_cache: bool) -> dict[str, Any]:
    """The population's figures against the global model without cache.

    Devices with fewer than `min_messages` personal messages keep the global model (with the
    cache when `with_cache`). Users without scored words are left out.
    """
    scored = [c for c in clients if c.scored_words > 0]
    if not scored:
        raise ValueError("no client has scored words")
    before = np.array([c.global_hits for c in scored], dtype=float)
    after = np.array([_hits(c, personalized=c.personal_messages >= min_messages,
                            with_cache=with_cache) for c in scored], dtype=float)
    words = np.array([c.scored_words for c in scored], dtype=float)
    points = 100.0 * (after - before) / words
    global_top1, personal_top1 = before.sum() / words.sum(), after.sum() / words.sum()
    return {
        "users": len(scored),
        "global_top1_recall": global_top1,
        "personal_top1_recall": personal_top1,
        "mean_relative_top1_gain": (personal_top1 - global_top1) / global_top1
        if global_top1 > 0 else float("nan"),
        "share_gaining": float(np.mean(points > 0)),
        "share_losing_over_1pt": float(np.mean(points < -LOSS_POINTS)),
        "mean_user_gain_points": float(np.mean(points)),
        "per_user_gain_points": [round(float(p), 3) for p in points],
    }


def _summary(figures: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in figures.items() if key != "per_user_gain_points"}


def by_activity(clients: Sequence[ClientScores], *, min_messages: int,
                with_cache: bool) -> dict[str, dict[str, Any]]:
    """`gains` for light, medium and heavy users (thirds by messages in their history)."""
    ids = {f"{i:06d}": c for i, c in enumerate(clients) if c.scored_words > 0}
    groups = tercile_users({key: c.personal_messages + c.scored_messages
                            for key, c in ids.items()})
    return {name: {**_summary(gains([ids[key] for key in keys], min_messages=min_messages,
                                    with_cache=with_cache)),
                   "messages": [min(ids[k].personal_messages + ids[k].scored_messages
                                    for k in keys),
                                max(ids[k].personal_messages + ids[k].scored_messages
                                    for k in keys)]}
            for name, keys in groups.items() if keys}


def by_personal_messages(clients: Sequence[ClientScores], edges: Sequence[int], *,
                         with_cache: bool) -> dict[str, dict[str, Any]]:
    """`gains` (everyone personalized) by personal messages, in the bins `edges` start."""
    bins: dict[str, dict[str, Any]] = {}
    bounds = [*edges, None]
    for low, high in zip(bounds[:-1], bounds[1:]):
        members = [c for c in clients if c.scored_words > 0 and c.personal_messages >= low
                   and (high is None or c.personal_messages < high)]
        if members:
            name = f"{low}+" if high is None else f"{low}-{high - 1}"
            bins[name] = _summary(gains(members, min_messages=0, with_cache=with_cache))
    return bins


def _gain_or_worst(figures: Mapping[str, Any]) -> float:
    """The relative gain, a gain that is not a number (the global model scores nothing)
    counting as the worst."""
    gain = figures["mean_relative_top1_gain"]
    return -math.inf if math.isnan(gain) else gain


def by_threshold(clients: Sequence[ClientScores], thresholds: Sequence[int]
                 ) -> dict[int, dict[str, float]]:
    """For each threshold (devices with fewer personal messages keep the global model): the
    relative gain and the share of users losing more than `LOSS_POINTS`."""
    found = {}
    for n in sorted(thresholds):
        figures = gains(clients, min_messages=n, with_cache=False)
        found[n] = {key: figures[key]
                    for key in ("mean_relative_top1_gain", "share_losing_over_1pt")}
    return found


def choose_setting(candidates: Mapping[Any, Sequence[ClientScores]],
                   thresholds: Sequence[int]) -> tuple[Any, int]:
    """The best candidate (strategy and interpolation) and the number of personal messages
    below which devices keep the global model, chosen together: the best relative top-1 gain
    among the pairs where fewer than `MAX_SHARE_LOSING` of users lose more than `LOSS_POINTS`,
    else among all pairs. Among equal gains: fewer users losing, then the smaller threshold,
    then the earlier candidate.

    A threshold is part of the choice because it is what keeps on the global model the users
    who would lose: light users, whose few messages fine-tune a noisy model.
    """
    if not candidates or not thresholds:
        raise ValueError("need at least one candidate and one threshold")
    pairs = {(key, n): figures for key, clients in candidates.items()
             for n, figures in by_threshold(clients, thresholds).items()}
    safe = [pair for pair, f in pairs.items() if f["share_losing_over_1pt"] < MAX_SHARE_LOSING]
    return max(safe or list(pairs), key=lambda pair: (
        _gain_or_worst(pairs[pair]), -pairs[pair]["share_losing_over_1pt"], -pair[1]))
