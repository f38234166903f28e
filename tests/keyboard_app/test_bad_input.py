"""The bad inputs that once made the app answer 500, or answer at all (fast: no TF).

Each case here was a real failure: a lone surrogate reached SQLite (500), a 1000-deep JSON
body raised RecursionError (500), a page under a foreign host name was served (DNS
rebinding), 101 events were a 400 where the documented contract says 413, and waitress's
default limits let ~100 idle connections stall the server.
"""

from __future__ import annotations

import http.client
import socket
import threading
from collections.abc import Iterator

import pytest

from keyboard_app.__main__ import WAITRESS_MAX_BODY_BYTES, allowed_hosts, create_server, parse_args
from keyboard_app.api import CSRF_HEADER
from keyboard_app.hosts import host_allowed, split_host
from keyboard_app.payloads import MAX_BODY_BYTES, MAX_EVENTS

HEADERS = {CSRF_HEADER: "1"}
LONE = "\ud83d"  # The first half of 👍 (U+1F44D), as an on-screen backspace left it.


@pytest.fixture
def client(fast_app):
    client = fast_app.test_client()
    client.get("/")  # Sets the device cookie, as the page does.
    return client


def impression(**fields):
    return {"type": "impression", "id": "i1", "model_version": "v", "position": 7,
            "suggestions": ["make", "map", "many"], **fields}


def click(**fields):
    return {"type": "click", "id": "c1", "impression_id": "i1", "slot": 1, "word": "make",
            **fields}


def message(**fields):
    return {"type": "message", "id": "m1", "text": "how to make bread", **fields}


def assert_json_error(response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json and fragment in response.json["error"]


def stored_messages(client) -> int:
    return client.get("/api/device").json["stats"]["messages"]


# --- Lone surrogates: refused with 400 naming the field, never a 500 ----------------------

@pytest.mark.parametrize(("event", "field"), [
    (message(text=f"hi {LONE}"), '"text"'),
    (message(id=f"m{LONE}"), '"id"'),
    (impression(suggestions=["make", f"ma{LONE}"]), "a suggestion"),
    (impression(model_version=f"r1{LONE}"), '"model_version"'),
    (impression(id=LONE), '"id"'),
    (click(word=f"{LONE}make"), '"word"'),
    (click(impression_id=f"i{LONE}"), '"impression_id"'),
    ({"type": f"message{LONE}", "id": "m1", "text": "hi"}, '"type"'),
])
def test_a_lone_surrogate_in_any_event_field_is_a_400_naming_it(client, event, field):
    response = client.post("/api/events", json={"events": [message(id="ok"), event]},
                           headers=HEADERS)

    assert_json_error(response, 400, f"events[1]: {field} is not well-formed Unicode")
    assert stored_messages(client) == 0


def test_utf8_encoded_surrogates_in_a_raw_body_are_a_400(client):
    body = b'{"events": [{"type": "message", "id": "m1", "text": "hi \xed\xa0\xbd"}]}'

    response = client.post("/api/events", data=body, content_type="application/json",
                           headers=HEADERS)

    assert_json_error(response, 400, '"text" is not well-formed Unicode')


def test_an_escaped_lone_surrogate_is_a_400_and_the_next_message_is_stored(client):
    body = '{"events": [{"type": "message", "id": "m1", "text": "hi \\ud83d"}]}'

    refused = client.post("/api/events", data=body, content_type="application/json",
                          headers=HEADERS)
    stored = client.post("/api/events", json={"events": [message(id="m2", text="ok")]},
                         headers=HEADERS)

    assert_json_error(refused, 400, "lone surrogate U+D83D at character 3")
    assert stored.status_code == 200 and stored.json["stats"]["messages"] == 1


@pytest.mark.parametrize(("path", "body", "headers"), [
    ("/api/suggest", {"text": f"how to {LONE}"}, {}),
    ("/api/device", {"device": f"u1{LONE}"}, HEADERS),
])
def test_a_lone_surrogate_in_other_requests_is_a_400(client, path, body, headers):
    assert_json_error(client.post(path, json=body, headers=headers), 400,
                      "not well-formed Unicode")


# --- Malformed JSON: every parsing failure is a 400 ----------------------------------------

@pytest.mark.parametrize("body", [
    "[" * 1000 + "]" * 1000,
    '{"events": ' * 1000 + "1" + "}" * 1000,
    "[" * 100_000,
    '{"text": 1' + "0" * 5000 + "}",  # Beyond Python's int digits limit.
])
def test_json_nested_too_deeply_or_otherwise_unparseable_is_a_400(client, body):
    for path in ("/api/suggest", "/api/events", "/api/device"):
        response = client.post(path, data=body, content_type="application/json",
                               headers=HEADERS)

        assert_json_error(response, 400, "malformed JSON body")


def test_a_body_in_no_unicode_encoding_is_a_400(client):
    response = client.post("/api/suggest", data=b'{"text": "\xff\xfe\xfa"}',
                           content_type="application/json")

    assert_json_error(response, 400, "malformed JSON body")


# --- Limits: 413 as documented ---------------------------------------------------------------

def test_more_than_max_events_is_a_413_and_max_events_is_stored(client):
    batch = [message(id=f"m{n}") for n in range(MAX_EVENTS + 1)]

    too_many = client.post("/api/events", json={"events": batch}, headers=HEADERS)
    at_limit = client.post("/api/events", json={"events": batch[:-1]}, headers=HEADERS)

    assert_json_error(too_many, 413, f"the limit is {MAX_EVENTS}")
    assert at_limit.status_code == 200 and at_limit.json["stored"] == MAX_EVENTS


# --- Host names: DNS rebinding --------------------------------------------------------------

@pytest.mark.parametrize("host", [
    "evil.test", "evil.test:80", "localhost.evil.test", "localhost:8000", "127.0.0.2",
    "[::2]", "localhost:", "localhost:x", "[::1", "", "localhost:80:80", "127.0.0.1:0080000",
])
def test_requests_under_a_foreign_host_get_a_421_on_every_route(fast_app, host):
    client = fast_app.test_client()
    for method, path in (("GET", "/"), ("GET", "/api/device"), ("POST", "/api/suggest"),
                         ("GET", "/static/keyboard.js"), ("GET", "/nothing")):
        response = client.open(path, method=method, json={"text": "how"},
                               headers={"Host": host, **HEADERS})

        assert_json_error(response, 421, "does not answer for host")
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "127.0.0.1", "[::1]",
                                  "localhost:80", "[::1]:80"])
def test_the_loopback_names_at_the_servers_port_are_served(fast_app, host):
    assert fast_app.test_client().get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(("host", "expected"), [
    ("localhost:8000", ("localhost", "8000")),
    ("LocalHost", ("localhost", "80")),
    ("[::1]:8000", ("::1", "8000")),
    ("[::1]", ("::1", "80")),
    ("127.0.0.1:08000", ("127.0.0.1", "8000")),
    ("[::1]x", None),
    (":8000", None),
    ("localhost:+80", None),
    ("localhost:٨٠", None),  # Arabic-Indic digits are digits to str.isdigit.
])
def test_host_headers_are_split_into_name_and_port(host, expected):
    assert split_host(host) == expected


def test_the_listening_address_and_extra_names_are_allowed_beside_loopback():
    names = allowed_hosts("192.168.1.5", ["Keyboard.Example"])

    assert names == ("127.0.0.1", "localhost", "::1", "192.168.1.5", "keyboard.example")
    assert allowed_hosts("0.0.0.0", []) == ("127.0.0.1", "localhost", "::1")
    assert host_allowed("keyboard.example:8000", "8000", names)
    assert not host_allowed("keyboard.example:8001", "8000", names)


def test_the_host_option_takes_only_ip_addresses(capsys):
    assert parse_args(["--model", "m", "--host", "::1"]).host == "::1"
    with pytest.raises(SystemExit):
        parse_args(["--model", "m", "--host", "example.com"])
    assert "--host must be an IP address" in capsys.readouterr().err


# --- The served limits, through a real waitress server --------------------------------------

def test_events_typed_on_another_device_conflict_and_are_not_stored(client):
    client.post("/api/device", json={"device": "me"}, headers=HEADERS)

    answer = client.post("/api/events", headers=HEADERS, json={
        "device": "u1", "events": [{"type": "message", "id": "m1", "text": "typed on u1"}]})

    assert answer.status_code == 409 and "typed on device 'u1'" in answer.get_json()["error"]
    assert client.get("/api/device").get_json()["stats"]["messages"] == 0
    same = client.post("/api/events", headers=HEADERS, json={
        "device": "me", "events": [{"type": "message", "id": "m1", "text": "typed on me"}]})
    assert same.status_code == 200 and same.get_json()["stored"] == 1


@pytest.fixture
def served(fast_app) -> Iterator[tuple[int, list[socket.socket]]]:
    """`python -m keyboard_app`'s waitress server, with its default limits except a quick sweep
    for silent connections: yields (port, a list to put sockets in, closed at the end)."""
    args = parse_args(["--model", "m", "--port", "0", "--channel-timeout", "1",
                       "--cleanup-interval", "0.2"])
    server = create_server(fast_app, args)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    sockets: list[socket.socket] = []
    yield int(server.effective_port), sockets
    for sock in sockets:
        sock.close()
    server.close()
    thread.join(timeout=5)


def get_device(port: int, timeout: float = 3.0) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", "/api/device")
    status = connection.getresponse().status
    connection.close()
    return status


def test_150_idle_connections_do_not_stop_the_server_answering(served):
    port, sockets = served
    for _ in range(150):
        sockets.append(socket.create_connection(("127.0.0.1", port)))

    assert get_device(port) == 200


def test_a_silent_connection_is_closed_after_the_channel_timeout(served):
    port, sockets = served
    sockets.append(socket.create_connection(("127.0.0.1", port), timeout=5))

    assert sockets[0].recv(1) == b""  # Closed by the server, within about 1.2 s.


def post_raw(port: int, body: bytes) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("POST", "/api/suggest", body, {"Content-Type": "application/json"})
    response = connection.getresponse()
    answer = (response.status, response.headers["Content-Type"], response.read())
    connection.close()
    return answer


def test_a_body_over_the_apps_limit_gets_the_apps_json_413(served):
    status, content_type, _ = post_raw(served[0], b" " * (MAX_BODY_BYTES + 1))

    assert (status, content_type) == (413, "application/json")


def test_a_body_over_waitress_limit_gets_waitress_plain_413(served):
    # Documented: waitress answers from the Content-Length alone, before any WSGI app runs
    # (and closes the connection, so the body is not sent); not JSON.
    port = served[0]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /api/suggest HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: %d"
                     b"\r\n\r\n" % (port, WAITRESS_MAX_BODY_BYTES + 1))
        head = sock.makefile("rb").read().split(b"\r\n\r\n")[0].decode()

    assert head.startswith("HTTP/1.1 413 ")
    assert "Content-Type: text/plain; charset=utf-8" in head
