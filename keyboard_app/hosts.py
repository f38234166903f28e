"""Answers only under the host names the server is meant to be reached by (DNS rebinding).

A page of another site can make its own host name resolve to 127.0.0.1 and then read this
app's answers as same-origin. Its requests still carry its own name in `Host`, so a request
is served only when its `Host` names one of `AppConfig.allowed_hosts` and the port the
request arrived on (`SERVER_PORT`). A `Host` without a port means port 80 (RFC 9110): the
Flask test client sends `Host: localhost` with `SERVER_PORT` 80, so it passes, while a server
on any other port refuses a port-less `Host`. Refused requests get 421 Misdirected Request.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask, request
from werkzeug.exceptions import MisdirectedRequest

DEFAULT_PORT = "80"


def split_host(host: str) -> tuple[str, str] | None:
    """`"name:port"`, `"[v6]:port"` or a port-less form -> (lower-case name, port); None if
    malformed."""
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            return None
        port = rest[1:] if rest else DEFAULT_PORT
    else:
        name, colon, port = host.partition(":")
        port = port if colon else DEFAULT_PORT
    if not name or not port.isascii() or not port.isdigit() or len(port) > 5:
        return None
    return name.lower(), str(int(port))


def host_allowed(host: str, server_port: str, names: Collection[str]) -> bool:
    """Whether a `Host` header names one of `names` and the server's own port."""
    parts = split_host(host)
    return parts is not None and parts[0] in names and parts[1] == server_port


def init_app(app: Flask, names: Collection[str]) -> None:
    """Refuses, before any view, requests whose `Host` is not `names` at the server's port."""
    allowed = frozenset(names)

    @app.before_request
    def check_host() -> None:
        host = request.headers.get("Host", "")
        if not host_allowed(host, request.environ.get("SERVER_PORT", ""), allowed):
            raise MisdirectedRequest(f"this server does not answer for host {host[:100]!r}; "
                                     "use the address it printed at startup")
