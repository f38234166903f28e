"""What one interest provides: its rules (with ``query`` and ``chat`` start rules) and frames."""

from __future__ import annotations

from dataclasses import dataclass

from data.synthetic.grammar import FrameTable, Rules


@dataclass(frozen=True)
class InterestSpec:
    """The source of one interest's grammar.

    Attributes:
        name: The interest, written to records as ``topic`` (e.g. ``"cooking"``).
        rules: Its rules; must define ``query`` (search style) and ``chat`` (messages).
        frames: Its frame tables, whose slots bind once per message.
    """

    name: str
    rules: Rules
    frames: dict[str, FrameTable]
