"""The keyboard's query chip: which query to offer for what is typed, and whether to show it.

The baseline (`model.query_candidates`) proposes its best candidate for the completed words
before the caret (a word being typed is not part of the context yet, so the chip changes only
when a word ends); the triggering model scores it with the features the trainer uses
(`model.triggering.extract_features`), from the device's own recent chips and its local hour.
The chip is shown when the score reaches the export's threshold. Pure numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

from model.tokenizer import split_context
from model.triggering import PastImpression, extract_features
from model.triggering_export import TriggeringExport, read_triggering_export


@dataclass(frozen=True)
class Chip:
    """A query chip to show, with what its impression must log.

    Attributes:
        query: The suggested query (a candidate's text).
        score: The triggering model's tap probability, >= the export's threshold.
        baseline_score: The baseline's score of the query for the context.
        context: The completed words before the caret, joined by single spaces.
        position: How many words `context` holds.
        model_version: The triggering export's version.
    """

    query: str
    score: float
    baseline_score: float
    context: str
    position: int
    model_version: str


def local_hour(utc_offset_minutes: int, now: Optional[datetime] = None) -> int:
    """The hour of day (0-23) at `utc_offset_minutes` from UTC, at `now` (default: now)."""
    moment = now or datetime.now(timezone.utc)
    return moment.astimezone(timezone(timedelta(minutes=utc_offset_minutes))).hour


# Parsed history chips kept per export: parsing one (tokenizing its query) costs more than the
# rest of a chip decision. Queries come from the candidates, so this bounds the cache loosely.
MAX_CACHED_PAST = 16384


class ChipChooser:
    """Decides the chip of one triggering export (`version` is the export's); thread-safe."""

    def __init__(self, export: TriggeringExport) -> None:
        self.export = export
        self._past: dict[tuple[str, bool], PastImpression] = {}

    @property
    def version(self) -> str:
        return self.export.version

    @property
    def history_size(self) -> int:
        """How many of the device's last chips the features read."""
        return self.export.model.config.history_size

    def _past_impression(self, query: str, tapped: bool) -> PastImpression:
        past = self._past.get((query, tapped))
        if past is None:
            if len(self._past) >= MAX_CACHED_PAST:
                self._past.clear()
            past = self._past[(query, tapped)] = PastImpression(query, tapped)
        return past

    def score(self, text: str, *, hour: int,
              history: Sequence[tuple[str, bool]]) -> Optional[Chip]:
        """The baseline's query for `text` with its triggering score, shown or not.

        Args:
            text: What is typed before the caret.
            hour: The device's local hour of day.
            history: The device's recent chips, oldest first: (query, tapped).

        Returns:
            The chip, whatever its score; None when the baseline proposes nothing.
        """
        export = self.export
        words, _ = split_context(text)
        proposals = export.candidates.propose(words, k=1)
        if not proposals:
            return None
        proposal = proposals[0]
        context = " ".join(words)
        past = [self._past_impression(query, tapped)
                for query, tapped in history[-self.history_size:]]
        features = extract_features(context, proposal.candidate.text,
                                    baseline_score=proposal.score, hour=hour,
                                    position=len(words), history=past, config=export.model.config)
        return Chip(query=proposal.candidate.text, score=export.model.probability(features),
                    baseline_score=proposal.score, context=context, position=len(words),
                    model_version=export.version)

    def choose(self, text: str, *, hour: int,
               history: Sequence[tuple[str, bool]]) -> Optional[Chip]:
        """The chip to show for `text` (arguments as `score`): None unless its score reaches
        the export's threshold."""
        chip = self.score(text, hour=hour, history=history)
        return chip if chip is not None and chip.score >= self.export.threshold else None


def load_chip_chooser(directory: Path) -> ChipChooser:
    """The chooser of the export in `directory` (`model.triggering_export`)."""
    return ChipChooser(read_triggering_export(directory))
