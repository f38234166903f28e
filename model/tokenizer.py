"""The one tokenizer, shared by training, evaluation and serving.

Rules (each deliberate, each tested):
- Lower-case everything: the keyboard suggests lower-case words and re-cases them itself.
- A word is a run of letters and digits; apostrophes inside a word stay ("don't", "i'm"),
  curly apostrophes become straight ones, leading/trailing apostrophes are dropped.
- Numbers stay tokens, with their inner separators: "7", "7:30", "3.5", "1,000".
- Every other character (punctuation, emoji, symbols) separates words and is dropped: a
  keyboard's suggestion strip offers words, not punctuation.
"""

from __future__ import annotations

import re

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# A number with inner separators, or a word (letters/digits) with inner apostrophes.
_TOKEN = re.compile(r"\d+(?:[.:,]\d+)*|[^\W_]+(?:'[^\W_]+)*")


def normalize(text: str) -> str:
    """Returns `text` lower-cased with apostrophes unified."""
    return text.translate(_APOSTROPHES).lower()


def tokenize(text: str) -> list[str]:
    """Splits typed text into lower-case word tokens."""
    return _TOKEN.findall(normalize(text))


def split_context(text: str) -> tuple[list[str], str]:
    """Splits what is typed so far into completed words and the word being typed.

    Returns:
        `(context, prefix)`: the completed words, and the partial last word ("" when the
        text is empty or ends with a separator, i.e. the next word has not started).
    """
    normalized = normalize(text)
    tokens = _TOKEN.findall(normalized)
    if not tokens:
        return [], ""
    if normalized.endswith(tokens[-1]):
        return tokens[:-1], tokens[-1]
    if normalized.endswith(tokens[-1] + "'"):  # "don'" is on its way to "don't".
        return tokens[:-1], tokens[-1] + "'"
    return tokens, ""
