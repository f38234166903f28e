"""Serve TFF computations to a trainer on another machine: TFF's C++ worker, in the foreground.

    python -m federated.worker --port 8001 [--log worker-8001.log]

A trainer then shares each round's clients among its workers with
`python -m federated.train ... --workers THIS_HOST:8001,OTHER_HOST:8001` (README: Running on
several machines). The worker serves on every interface of this machine, without
authentication or encryption: open its port to the trainer's machine only. It lives until
Ctrl-C, SIGTERM or the end of this process (the kernel stops it with its parent).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from federated.command_line import add_worker_options, runtime_config
from federated.learning.options import RuntimeConfig


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m federated.worker", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", required=True, type=int,
                        help="the port to serve on, on every interface")
    parser.add_argument("--log", type=Path, metavar="FILE",
                        help="where the worker's output goes (default worker-PORT.log in the "
                             "current directory)")
    add_worker_options(parser.add_argument_group("TFF worker"), RuntimeConfig())
    # `runtime_config` reads these: this worker is one, and restarting is its trainer's.
    parser.set_defaults(workers=None, restart_worker_every=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"--port must be in 1-65535, got {args.port}")
    config = runtime_config(args)
    log_path = args.log or Path(f"worker-{args.port}.log")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow takes seconds to import: only after the arguments are known good.
    from federated.learning.worker import WorkerLostError, connect, start_worker, stop_worker

    process, port = start_worker(config, log_path, port=args.port)
    try:
        with connect(f"localhost:{port}", config.startup_seconds, process, log_path):
            print(f"TFF worker serving on port {port} (pid {process.pid}, log {log_path}); "
                  "Ctrl-C stops it", flush=True)
        code = process.wait()
        if code < 0:  # Killed: exit as a shell reports it, 128 + the signal.
            print(f"error: the TFF worker was killed by signal {-code}; see {log_path}",
                  file=sys.stderr)
            return 128 - code
        return code
    except WorkerLostError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        stop_worker(process)


if __name__ == "__main__":
    sys.exit(main())
