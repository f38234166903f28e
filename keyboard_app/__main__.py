"""Serves the keyboard with waitress.

    python -m keyboard_app --model RUN_DIR/model [--port P] [--data-dir DIR]
        [--history FILE.jsonl] [--simulated-users N] [--threads T]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import waitress

from keyboard_app.app import create_app
from keyboard_app.config import AppConfig
from keyboard_app.resources import resources
from keyboard_app.simulated_users import busiest_users
from model.export import ExportError

HOST = "127.0.0.1"  # Loopback only: the typed text never leaves the machine.


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m keyboard_app", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, required=True,
                        help="the export to serve, e.g. RUN_DIR/model (new versions behind it "
                             "are picked up without a restart)")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--data-dir", type=Path, default=Path("runs/devices"),
                        help="where each device's SQLite log is kept (default: runs/devices)")
    parser.add_argument("--history", type=Path,
                        help="typing histories (JSONL) to pick the simulated users from; "
                             "default: the data the run was trained on, if its config says")
    parser.add_argument("--simulated-users", type=int, default=4,
                        help="how many users of the history the device picker offers")
    parser.add_argument("--threads", type=int, default=4, help="waitress worker threads")
    return parser.parse_args(argv)


def training_data(model_path: Path) -> Path | None:
    """The history file a run was trained on, per `RUN_DIR/config.json`, if it still exists."""
    try:
        data = json.loads((model_path.parent / "config.json").read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return Path(data) if isinstance(data, str) and Path(data).is_file() else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ info lines are noise here.
    history = args.history or training_data(args.model)
    users = busiest_users(history, args.simulated_users) if history else ()
    try:
        app = create_app(AppConfig(model_path=args.model, data_dir=args.data_dir,
                                   simulated_users=users))
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    server = waitress.create_server(app, host=HOST, port=args.port, threads=args.threads)
    version = resources(app).models.suggester.version
    print(f"Keyboard serving model {version} at http://{HOST}:{server.effective_port}/ "
          f"(device logs in {args.data_dir}; Ctrl-C to stop)", flush=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
