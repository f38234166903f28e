"""Checks the JSON bodies of the API and turns them into typed values (no Flask).

Limits (documented for clients; the app answers 413 beyond them):
    MAX_TEXT_CHARS       characters of typed text in a suggest request or a message
    MAX_EVENTS           events in one `POST /api/events`
    MAX_BODY_BYTES       bytes of any request body
    MAX_QUERY_CHARS      characters of a query chip's query

Every string is checked to be well-formed Unicode: JSON's `\\ud800` escapes (and a UTF-8 body's
encoded surrogates) decode to lone surrogates, which no UTF-8 store can hold; they are refused
with 400 here, naming the field, instead of failing later in the store.
"""

from __future__ import annotations

import math
import re
from typing import Any

from data.device_logs import Click, Event, Impression, Message
from data.device_queries import MAX_UTC_OFFSET_MINUTES, QueryClick, QueryImpression

MAX_TEXT_CHARS = 2000
MAX_EVENTS = 100
MAX_BODY_BYTES = 256 * 1024
MAX_WORD_CHARS = 100
MAX_QUERY_CHARS = 200
STRIP_SLOTS = 3
EVENT_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


class InvalidPayloadError(ValueError):
    """The body is not what the endpoint expects (answered with 400)."""


class PayloadTooLargeError(ValueError):
    """Typed text is over `MAX_TEXT_CHARS`, or a batch over `MAX_EVENTS` (answered with 413)."""


_EXPECTED = {dict: "an object", list: "an array", str: "a string", int: "an integer"}


def _type_name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null"}.get(type(value), "number")


def _field(payload: dict[str, Any], key: str, expected: type, where: str) -> Any:
    """Returns `payload[key]`, checking that it is present and of JSON type `expected`."""
    if key not in payload:
        raise InvalidPayloadError(f'{where}: missing field "{key}"')
    value = payload[key]
    # bool is an int in Python, but true is not a number in JSON.
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise InvalidPayloadError(f'{where}: "{key}" must be {_EXPECTED[expected]}, '
                                  f"got {_type_name(value)}")
    if expected is str:
        _check_unicode(value, f'{where}: "{key}"')
    return value


def _check_unicode(text: str, what: str) -> None:
    """Refuses a string holding a lone surrogate (not encodable as UTF-8)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise InvalidPayloadError(f"{what} is not well-formed Unicode: lone surrogate "
                                  f"U+{ord(text[error.start]):04X} at character "
                                  f"{error.start}") from None


def _text(payload: dict[str, Any], key: str, where: str) -> str:
    text = _field(payload, key, str, where)
    if len(text) > MAX_TEXT_CHARS:
        raise PayloadTooLargeError(f'{where}: "{key}" has {len(text)} characters; the limit '
                                   f"is {MAX_TEXT_CHARS}")
    return text


def _object(payload: Any, where: str) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidPayloadError(f"{where}: expected a JSON object, got {_type_name(payload)}")
    return payload


def parse_suggest_request(payload: Any) -> str:
    """Returns the typed text of `{"text": ...}`."""
    return _text(_object(payload, "body"), "text", "body")


def _utc_offset(payload: dict[str, Any], where: str) -> int:
    offset = _field(payload, "utc_offset_minutes", int, where)
    if not -MAX_UTC_OFFSET_MINUTES <= offset <= MAX_UTC_OFFSET_MINUTES:
        raise InvalidPayloadError(f'{where}: "utc_offset_minutes" must be '
                                  f"{-MAX_UTC_OFFSET_MINUTES}-{MAX_UTC_OFFSET_MINUTES}")
    return offset


def parse_queries_request(payload: Any) -> tuple[str, int]:
    """Returns the typed text and the device's UTC offset of `{"text": ...,
    "utc_offset_minutes": minutes east of UTC}`."""
    body = _object(payload, "body")
    return _text(body, "text", "body"), _utc_offset(body, "body")


def parse_device_choice(payload: Any) -> str:
    """Returns the device id of `{"device": ...}` (not yet checked against the known ones)."""
    return _field(_object(payload, "body"), "device", str, "body")


def parse_events_device(payload: Any) -> str | None:
    """The device `{"device": ..., "events": [...]}` says the events were typed on, if given."""
    payload = _object(payload, "body")
    return _field(payload, "device", str, "body") if "device" in payload else None


def _event_id(event: dict[str, Any], key: str, where: str) -> str:
    value = _field(event, key, str, where)
    if not EVENT_ID_PATTERN.fullmatch(value):
        raise InvalidPayloadError(f'{where}: "{key}" must be 1-64 characters of A-Z, a-z, '
                                  "0-9, '_' or '-'")
    return value


def _word(value: Any, where: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_WORD_CHARS:
        raise InvalidPayloadError(f"{where}: a suggestion must be a string of 1-{MAX_WORD_CHARS} "
                                  "characters")
    _check_unicode(value, f"{where}: a suggestion")
    return value


def _impression(event: dict[str, Any], where: str) -> Impression:
    suggestions = _field(event, "suggestions", list, where)
    if not 0 < len(suggestions) <= STRIP_SLOTS:
        raise InvalidPayloadError(f'{where}: "suggestions" must hold 1-{STRIP_SLOTS} words')
    position = _field(event, "position", int, where)
    if not 0 <= position <= MAX_TEXT_CHARS:
        raise InvalidPayloadError(f'{where}: "position" must be 0-{MAX_TEXT_CHARS}')
    return Impression(event_id=_event_id(event, "id", where),
                      model_version=_version(event, where),
                      position=position,
                      suggestions=tuple(_word(word, where) for word in suggestions))


def _click(event: dict[str, Any], where: str) -> Click:
    slot = _field(event, "slot", int, where)
    if not 0 <= slot < STRIP_SLOTS:
        raise InvalidPayloadError(f'{where}: "slot" must be 0-{STRIP_SLOTS - 1}')
    return Click(event_id=_event_id(event, "id", where),
                 impression_id=_event_id(event, "impression_id", where), slot=slot,
                 word=_word(_field(event, "word", str, where), where))


def _version(event: dict[str, Any], where: str) -> str:
    version = _field(event, "model_version", str, where)
    if not 0 < len(version) <= MAX_WORD_CHARS:
        raise InvalidPayloadError(f'{where}: "model_version" must be 1-{MAX_WORD_CHARS} characters')
    return version


def _query_impression(event: dict[str, Any], where: str) -> QueryImpression:
    candidate = _field(event, "candidate", str, where)
    if not 0 < len(candidate.strip()) <= len(candidate) <= MAX_QUERY_CHARS:
        raise InvalidPayloadError(f'{where}: "candidate" must be 1-{MAX_QUERY_CHARS} characters, '
                                  "not only spaces")
    position = _field(event, "position", int, where)
    if not 0 <= position <= MAX_TEXT_CHARS:
        raise InvalidPayloadError(f'{where}: "position" must be 0-{MAX_TEXT_CHARS}')
    score = event.get("baseline_score")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not (
            math.isfinite(score) and 0 <= score <= 1):
        raise InvalidPayloadError(f'{where}: "baseline_score" must be a number in [0, 1]')
    return QueryImpression(event_id=_event_id(event, "id", where),
                           model_version=_version(event, where),
                           context=_text(event, "context", where), candidate=candidate,
                           position=position, baseline_score=float(score),
                           utc_offset_minutes=_utc_offset(event, where))


def _query_click(event: dict[str, Any], where: str) -> QueryClick:
    return QueryClick(event_id=_event_id(event, "id", where),
                      impression_id=_event_id(event, "impression_id", where))


def _message(event: dict[str, Any], where: str) -> Message:
    text = _text(event, "text", where)
    if not text.strip():
        raise InvalidPayloadError(f'{where}: "text" is empty')
    return Message(event_id=_event_id(event, "id", where), text=text)


_PARSERS = {"impression": _impression, "click": _click, "message": _message,
            "query_impression": _query_impression, "query_click": _query_click}


def parse_events(payload: Any) -> list[Event]:
    """Returns the events of `{"events": [{"type": one of `_PARSERS`, ...}]}` (the body may
    also name their `device`: `parse_events_device`).

    Impression: `id`, `model_version`, `position` (caret offset), `suggestions` (best first).
    Click: `id`, `impression_id`, `slot` (0-2, left to right), `word`.
    Message: `id`, `text`.
    Query impression (a chip shown): `id`, `model_version`, `context` (the words before it),
    `candidate` (the query), `position` (words in `context`), `baseline_score` (0-1),
    `utc_offset_minutes` (the device's, minutes east of UTC).
    Query click (a chip tapped): `id`, `impression_id`.
    """
    events = _field(_object(payload, "body"), "events", list, "body")
    if not events:
        raise InvalidPayloadError(f'body: "events" must hold 1-{MAX_EVENTS} events, got 0')
    if len(events) > MAX_EVENTS:
        raise PayloadTooLargeError(f'body: "events" holds {len(events)} events; the limit is '
                                   f"{MAX_EVENTS}")
    parsed = []
    for index, event in enumerate(events):
        where = f"events[{index}]"
        event = _object(event, where)
        kind = _field(event, "type", str, where)
        if kind not in _PARSERS:
            raise InvalidPayloadError(f'{where}: unknown "type" {kind[:40]!r}; expected one '
                                      f"of {', '.join(_PARSERS)}")
        parsed.append(_PARSERS[kind](event, where))
    return parsed
