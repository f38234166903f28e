"""TFF's C++ worker, started so that it can never outlive the process that started it.

TFF 0.87's own local context starts `worker_binary` lazily, with the parent's stdout, and
only stops it from a `__del__` that does not run on SIGKILL or at interpreter exit. The
orphan (~700 MB) then holds the parent's stdout open, so `python -m federated.train | tail`
never returns. Here the worker is started eagerly from the calling thread with
`PR_SET_PDEATHSIG=SIGKILL` (the kernel kills it when its parent dies, however it dies), its
output goes to a log file, and `tff_worker()` stops it on every exit path it can see.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import portpicker
import tensorflow_federated as tff

from federated.learning.options import RuntimeConfig

_PR_SET_PDEATHSIG = 1
_GRPC_MAX_MESSAGE_BYTES = 2 * 1000 * 1000 * 1000
_GRPC_OPTIONS = [
    ("grpc.max_message_length", _GRPC_MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", _GRPC_MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", _GRPC_MAX_MESSAGE_BYTES),
]
WORKER_BINARY_NAME = "worker_binary"


def worker_binary_path() -> Path:
    """Where the installed tensorflow_federated package keeps its C++ worker."""
    path = Path(tff.__file__).parent / "data" / WORKER_BINARY_NAME
    if not path.is_file():
        raise RuntimeError(f"TFF's worker binary is missing at {path}; reinstall with `make setup`")
    return path


def _die_with_parent() -> None:  # Runs in the child between fork and exec.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start_worker(config: RuntimeConfig, log_path: Path | None) -> tuple[subprocess.Popen, int]:
    """Starts the worker on a free loopback port, tied to the calling thread's life."""
    port = portpicker.pick_unused_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2")}
    if config.intra_op_threads > 0:
        env["TF_NUM_INTRAOP_THREADS"] = str(config.intra_op_threads)
    if config.inter_op_threads > 0:
        env["TF_NUM_INTEROP_THREADS"] = str(config.inter_op_threads)
    args = [str(worker_binary_path()), f"--port={port}",
            f"--max_concurrent_computation_calls={config.max_concurrent_calls}"]
    with contextlib.ExitStack() as stack:
        log = (stack.enter_context(open(log_path, "ab")) if log_path else subprocess.DEVNULL)
        process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   env=env, preexec_fn=_die_with_parent, close_fds=True)
    return process, port


def stop_worker(process: subprocess.Popen, *, grace_seconds: float = 5.0) -> None:
    """Stops the worker: SIGTERM, then SIGKILL if it lingers; always reaps it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_serving(process: subprocess.Popen, stub, config: RuntimeConfig) -> None:
    deadline = time.monotonic() + config.startup_seconds
    while not stub.is_ready:
        if process.poll() is not None:
            raise RuntimeError(f"TFF worker exited with code {process.returncode} at start-up")
        if time.monotonic() > deadline:
            raise RuntimeError(f"TFF worker did not serve within {config.startup_seconds} s")
        time.sleep(0.1)


def _compile(computation):
    """Lowers a computation for the worker, which has no secure-aggregation protocol.

    Secure sums (`--secure-aggregation`) become plain sums of the same fixed-point values,
    as in TFF's test backend: the simulation computes what the protocol would, without its
    cryptography. Computations without secure sums are left as they are.
    """
    computation = tff.backends.test.replace_secure_intrinsics_with_bodies(computation)
    return tff.backends.native.desugar_and_transform_to_native(computation)


@contextlib.contextmanager
def tff_worker(config: RuntimeConfig = RuntimeConfig(),  # noqa: B008 (frozen, immutable)
               *, log_path: Path | None = None) -> Iterator[subprocess.Popen]:
    """Runs TFF computations on a fresh worker for the duration of the `with` block.

    Installs a synchronous execution context backed by the worker as TFF's default, and on
    leaving the block (normally, by exception or by Ctrl-C) restores TFF's own default and
    stops the worker. If this process is killed outright, the kernel kills the worker.

    Yields:
        The worker process (for tests and diagnostics).
    """
    process, port = start_worker(config, log_path)
    try:
        channel = grpc.insecure_channel(f"localhost:{port}", _GRPC_OPTIONS)
        stub = tff.framework.RemoteExecutorGrpcStub(channel)
        _wait_until_serving(process, stub, config)

        def executor_for(cardinalities):
            if process.poll() is not None:
                raise RuntimeError(f"TFF worker died (exit code {process.returncode}); "
                                   f"see {log_path or 'its log'}")
            # Server-only computations (e.g. `initialize`) name no client count.
            cardinalities.setdefault(tff.CLIENTS, 0)
            executor = tff.framework.RemoteExecutor(stub)
            executor.set_cardinalities(cardinalities)
            return executor

        context = tff.framework.SyncExecutionContext(
            executor_fn=tff.framework.ResourceManagingExecutorFactory(executor_for),
            compiler_fn=_compile,
            transform_args=tff.tensorflow.transform_args,
            transform_result=tff.tensorflow.transform_result)
        with tff.framework.get_context_stack().install(context):
            yield process
        channel.close()
    finally:
        stop_worker(process)
