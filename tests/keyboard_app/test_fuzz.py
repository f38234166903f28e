"""Nothing a client sends makes the app answer 500: a property-based fuzzer (fast: no TF).

Requests go through Flask's test client to the real app (real routes, payload checks and
SQLite device logs in a temporary directory; only the network is numpy, see
`conftest.load_numpy_suggester`). They mix every route and method, foreign and malformed
`Host` headers, cookies and content types, with bodies that are: near-valid payloads whose
fields are any JSON value; strings from every class of code point, lone surrogates included
(as JSON `\\ud83d` escapes, or as their raw UTF-8/16/32 bytes); deep nesting; sizes around
the documented limits; and raw bytes. Derandomized with a fixed example count, so every run
sends the same requests.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyboard_app.api import CSRF_HEADER
from keyboard_app.payloads import MAX_BODY_BYTES, MAX_EVENTS, MAX_TEXT_CHARS

EXAMPLES = 300  # Per test; a few seconds each.
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                print_blob=False,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture,
                                       HealthCheck.large_base_example])
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
ROUTES = ["/", "/api/suggest", "/api/queries", "/api/events", "/api/device",
          "/static/keyboard.js",
          "/static/keyboard.css", "/static/../app.py", "/api/suggest/", "/api"]
SPECIAL = ["👍", "\u200d", "\u0301", "\x00", "\n", "\ufeff", "\uffff", "\U0010ffff", "\u202e",
           "\ud83d", "\udc4d", "ß", "İ", "\\", '"']
CLUSTERS = ["👨\u200d👩\u200d👧", "e\u0301", "🇫🇷", "\ud83d\udc4d", "\r\n"]

characters = st.one_of(
    st.characters(),  # Any code point, surrogates included.
    st.characters(categories=["Cs"]),  # Lone surrogates, often.
    st.sampled_from(SPECIAL),
)
strings = st.one_of(
    st.text(characters, max_size=20),
    st.lists(st.sampled_from(CLUSTERS) | st.text(characters, max_size=2), max_size=6).map("".join),
    st.builds(lambda text, count: (text * count)[: count + 5], st.text(characters, min_size=1,
              max_size=3), st.integers(MAX_TEXT_CHARS - 5, MAX_TEXT_CHARS + 5)),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(),
                    strings)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(strings, inner,
                                                                         max_size=4),
    max_leaves=8)


def near(valid: st.SearchStrategy) -> st.SearchStrategy:
    """`valid` values, or any JSON value in their place."""
    return st.one_of(valid, valid, json_values)


ids = near(st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True) | strings)
texts = near(strings)
slots = near(st.integers(-1, 3))
offsets = near(st.integers(-841, 841))
numbers = near(st.floats(-0.5, 1.5) | st.integers(-1, 2))
events = st.one_of(
    st.fixed_dictionaries({"type": near(st.just("message")), "id": ids, "text": texts}),
    st.fixed_dictionaries({"type": near(st.just("impression")), "id": ids,
                           "model_version": texts, "position": near(st.integers(-1, 2001)),
                           "suggestions": near(st.lists(texts, max_size=4))}),
    st.fixed_dictionaries({"type": near(st.just("click")), "id": ids, "impression_id": ids,
                           "slot": slots, "word": texts}),
    st.fixed_dictionaries({"type": near(st.just("query_impression")), "id": ids,
                           "model_version": texts, "context": texts,
                           "candidate": near(st.sampled_from(["bread recipe", "many cats"]))
                           | texts, "position": near(st.integers(-1, 2001)),
                           "baseline_score": numbers, "utc_offset_minutes": offsets}),
    st.fixed_dictionaries({"type": near(st.just("query_click")), "id": ids,
                           "impression_id": ids}),
    json_values,
)
payloads = st.one_of(
    st.fixed_dictionaries({"text": texts}),
    st.fixed_dictionaries({"text": near(st.sampled_from(["bread ", "so many ", "map "]))
                           | texts, "utc_offset_minutes": offsets}),
    st.fixed_dictionaries({"events": near(st.lists(events, max_size=4))}),
    st.builds(lambda event, count: {"events": [event] * count}, events,
              st.integers(MAX_EVENTS - 1, MAX_EVENTS + 1)),
    st.fixed_dictionaries({"device": near(st.sampled_from(["me", "u1", "u2", "u3"]))}),
    json_values,
)


def encoded(value: object, ascii_only: bool, encoding: str) -> bytes:
    """JSON text of `value`: lone surrogates as `\\udXXX` escapes, or as raw bytes."""
    return json.dumps(value, ensure_ascii=ascii_only).encode(encoding, "surrogatepass")


bodies = st.one_of(
    st.builds(encoded, payloads, st.booleans(), st.sampled_from(["utf-8", "utf-16", "utf-32"])),
    st.builds(lambda opener, closer, depth: (opener * depth + closer * depth).encode(),
              st.sampled_from(["[", '{"a":', '{"events":[', '{"text":[']),
              st.sampled_from(["]", "}", "]}", ""]), st.integers(1, 5000)),
    st.builds(lambda byte, count: byte * count, st.sampled_from([b" ", b"[", b"\xff"]),
              st.sampled_from([MAX_BODY_BYTES, MAX_BODY_BYTES + 1])),
    st.binary(max_size=64),
)
latin1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30)
hosts = st.sampled_from(["localhost", "localhost:80", "127.0.0.1", "[::1]", "evil.test",
                         "localhost:8000", "[::1", ""]) | latin1
paths = st.sampled_from(ROUTES) | st.text(characters, max_size=20).map(
    lambda text: "/" + quote(text.encode("utf-8", "surrogatepass"), safe="/"))


@st.composite
def requests(draw: st.DrawFn) -> dict:
    headers = {"Host": draw(hosts)}
    if draw(st.booleans()):
        headers[CSRF_HEADER] = draw(st.sampled_from(["1", "0"]) | latin1)
    content_type = draw(st.sampled_from(["application/json", "application/json; charset=utf-8",
                                         "text/plain", None]) | latin1)
    if content_type is not None:
        headers["Content-Type"] = content_type
    cookie = draw(st.sampled_from(["me", "u1", "u3", "../me", None]) | latin1)
    if cookie is not None:
        headers["Cookie"] = f"device={cookie}"
    return {"path": draw(paths), "method": draw(st.sampled_from(METHODS)),
            "data": draw(bodies), "headers": headers}


def assert_no_server_error(response, method: str) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    if response.status_code >= 400 and method != "HEAD":
        assert response.is_json and isinstance(response.json["error"], str)


@FUZZ
@given(request=requests())
def test_no_request_gets_a_server_error(fast_app, request):
    response = fast_app.test_client(use_cookies=False).open(**request)

    assert_no_server_error(response, request["method"])


@FUZZ
@given(path=st.sampled_from(["/api/suggest", "/api/queries", "/api/events", "/api/device"]),
       body=bodies)
def test_no_api_body_gets_a_server_error_from_a_valid_client(fast_app, path, body):
    # The page's own requests: the right host, header, cookie and content type, so the
    # bodies reach the payload checks and the device log.
    response = fast_app.test_client(use_cookies=False).post(
        path, data=body, content_type="application/json",
        headers={CSRF_HEADER: "1", "Cookie": "device=u1"})

    assert_no_server_error(response, "POST")
