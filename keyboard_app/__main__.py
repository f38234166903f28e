"""Serves the keyboard with waitress.

    python -m keyboard_app --model RUN_DIR/model [--queries RUN_DIR/queries/model]
        [--port P] [--data-dir DIR]
        [--history FILE.jsonl] [--simulated-users N] [--host ADDRESS] [--allow-host NAME]...
        [--threads T] [--connection-limit N] [--channel-timeout S] [--cleanup-interval S]

Every answer of the app is JSON. Waitress answers a few requests itself, in plain text, before
any WSGI app runs, so no app can make them JSON: 400 for a request line, header or chunk it
cannot parse (e.g. an invalid Content-Length), 413 for a body over `WAITRESS_MAX_BODY_BYTES`
(bodies between the app's `MAX_BODY_BYTES` and that get the app's JSON 413), 431 for headers
over 256 KiB, and 501 for a Transfer-Encoding other than chunked.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import sys
from pathlib import Path

import waitress
from flask import Flask
from waitress.server import BaseWSGIServer

from keyboard_app.app import create_app
from keyboard_app.config import LOOPBACK_HOSTS, AppConfig
from keyboard_app.payloads import MAX_BODY_BYTES
from keyboard_app.resources import resources
from keyboard_app.simulated_users import busiest_users
from model.export import ExportError, read_export_info

HOST = "127.0.0.1"  # Loopback by default: the typed text never leaves the machine.
_WILDCARD_ADDRESSES = ("0.0.0.0", "::")  # Bind addresses that name no host.
# Waitress refuses bodies over this itself, in plain text; up to it, the app reads the length
# and answers its own JSON 413 (over MAX_BODY_BYTES). Waitress buffers a body before the app
# runs, so the gap is kept small.
WAITRESS_MAX_BODY_BYTES = 4 * MAX_BODY_BYTES


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m keyboard_app", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True,
                        help="the export to serve, e.g. RUN_DIR/model (new versions behind it "
                             "are picked up without a restart)")
    parser.add_argument("--queries", type=Path,
                        help="the query-suggestion export whose chips to show (hot-reloaded "
                             "too); default: RUN_DIR/queries/model beside --model, if it "
                             "exists; without one the keyboard shows no chips")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, default=Path("runs/devices"),
                        help="where each device's SQLite log is kept (default: runs/devices)")
    parser.add_argument("--history", type=Path,
                        help="typing histories (JSONL) to pick the simulated users from; "
                             "default: the data the export was trained on, if it still exists")
    parser.add_argument("--simulated-users", type=int, default=4,
                        help="how many users of the history the device picker offers")
    parser.add_argument("--host", default=HOST,
                        help=f"IP address to listen on (default: {HOST}, this machine only); "
                             "requests must name it, or a loopback name, in their Host header")
    parser.add_argument("--allow-host", action="append", default=[], metavar="NAME",
                        help="one more host name clients reach the server by (repeatable), "
                             "e.g. the server's DNS name when --host is 0.0.0.0")
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    parser.add_argument("--connection-limit", type=int, default=500,
                        help="open connections at most; beyond, new ones wait (default: 500)")
    parser.add_argument("--channel-timeout", type=float, default=20.0,
                        help="seconds a connection may stay silent before it is closed "
                             "(default: 20)")
    parser.add_argument("--cleanup-interval", type=float, default=5.0,
                        help="seconds between sweeps for silent connections (default: 5)")
    args = parser.parse_args(argv)
    if args.queries is None and (args.model.parent / "queries" / "model").exists():
        args.queries = args.model.parent / "queries" / "model"
    for name in ("threads", "connection_limit", "channel_timeout", "cleanup_interval"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be > 0")
    try:
        args.host = str(ipaddress.ip_address(args.host))
    except ValueError:
        parser.error(f"--host must be an IP address, got {args.host!r}")
    return args


def allowed_hosts(host: str, extra: list[str]) -> tuple[str, ...]:
    """The loopback names, the listening address unless it is a wildcard, and `extra`."""
    names = [*LOOPBACK_HOSTS, *([] if host in _WILDCARD_ADDRESSES else [host]), *extra]
    return tuple(dict.fromkeys(name.strip("[]").lower() for name in names))


def create_server(app: Flask, args: argparse.Namespace) -> BaseWSGIServer:
    """The waitress server for `app`, with the limits of `args` (bound, not yet running)."""
    return waitress.create_server(
        app, host=args.host, port=args.port, threads=args.threads,
        connection_limit=args.connection_limit, channel_timeout=args.channel_timeout,
        cleanup_interval=args.cleanup_interval,
        asyncore_use_poll=True,  # select() fails beyond 1024 file descriptors.
        max_request_body_size=WAITRESS_MAX_BODY_BYTES)


def training_data(model_path: Path) -> Path | None:
    """The history file the export was trained on (its metadata's `data`), if it still exists."""
    try:
        data = read_export_info(model_path).metadata.get("data")
    except ExportError:
        return None
    return Path(data) if isinstance(data, str) and Path(data).is_file() else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    # This logger only says "Task queue depth is N", once per request that waits for a thread:
    # thousands of lines under load. Waitress's errors go to the "waitress" logger, kept.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ info lines are noise here.
    from model.personalization import PersonalizationConfig  # Deferred: imports TensorFlow.

    history = args.history or training_data(args.model)
    users = busiest_users(history, args.simulated_users) if history else ()
    try:
        config = AppConfig(model_path=args.model, data_dir=args.data_dir, simulated_users=users,
                           allowed_hosts=allowed_hosts(args.host, args.allow_host),
                           queries_path=args.queries, personalization=PersonalizationConfig())
        app = create_app(config)
    except (ExportError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    server = create_server(app, args)
    version = resources(app).models.current.version
    queries = resources(app).queries
    chips = f"query chips {queries.current.version}" if queries else "no query chips"
    address = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Keyboard serving model {version} at http://{address}:{server.effective_port}/ "
          f"({chips}; device logs in {args.data_dir}; Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
