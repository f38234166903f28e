"""TFF's C++ workers: one started here, so that it can never outlive its starter, or several
running elsewhere (`python -m federated.worker`), each computing a share of a round's clients.

TFF 0.87's own local context starts `worker_binary` lazily, with the parent's stdout, and
only stops it from a `__del__` that does not run on SIGKILL or at interpreter exit. The
orphan (~700 MB) then holds the parent's stdout open, so `python -m federated.train | tail`
never returns. Here the worker is started eagerly from the calling thread with
`PR_SET_PDEATHSIG=SIGKILL` (the kernel kills it when its parent dies, however it dies), its
output goes to a log file, and `tff_worker()` stops it on every exit path it can see.

Several workers run under TFF's `MergeableCompExecutionContext`: TFF splits each computation
at its aggregation and the clients into one contiguous share per worker; the trainer merges
the partial aggregates and finishes the round. No scheduler of ours.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
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
# How long the trainer waits for a running worker to answer (at start-up, or to come back
# after a failed call) before it gives up, naming it.
ANSWER_SECONDS = 10.0


def worker_binary_path() -> Path:
    """Where the installed tensorflow_federated package keeps its C++ worker."""
    path = Path(tff.__file__).parent / "data" / WORKER_BINARY_NAME
    if not path.is_file():
        raise RuntimeError(f"TFF's worker binary is missing at {path}; reinstall with `make setup`")
    return path


def _die_with_parent() -> None:  # Runs in the child between fork and exec.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def start_worker(config: RuntimeConfig, log_path: Path | None, *,
                 port: int | None = None) -> tuple[subprocess.Popen, int]:
    """Starts the worker on `port` (default: a free one), tied to the calling thread's life.

    The worker serves on every interface of this machine (TFF's binary has no host flag).
    """
    port = port or portpicker.pick_unused_port()
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


def _compile(computation):
    """Lowers a computation for the worker, which has no secure-aggregation protocol.

    Secure sums (`--secure-aggregation`) become plain sums of the same fixed-point values,
    as in TFF's test backend: the simulation computes what the protocol would, without its
    cryptography. Computations without secure sums are left as they are.
    """
    computation = tff.backends.test.replace_secure_intrinsics_with_bodies(computation)
    return tff.backends.native.desugar_and_transform_to_native(computation)


def _compile_mergeable(computation):
    """Splits a computation at its aggregation, for several workers (`_compile` runs after)."""
    computation = tff.backends.test.replace_secure_intrinsics_with_bodies(computation)
    return tff.backends.native.compile_to_mergeable_comp_form(computation)


class WorkerLostError(RuntimeError):
    """A worker died or stopped answering; the message names it (HOST:PORT)."""


@dataclass
class _Connection:
    """One worker as the trainer sees it: its address, channel, and process if started here."""

    address: str
    channel: grpc.Channel
    stub: tff.framework.RemoteExecutorGrpcStub
    process: subprocess.Popen | None
    log_path: Path | None

    def check(self, seconds: float) -> None:
        """Returns once the worker serves; raises WorkerLostError if it does not in `seconds`
        or its process (if started here) exits."""
        deadline = time.monotonic() + seconds
        while True:
            self._check_process()
            try:
                grpc.channel_ready_future(self.channel).result(timeout=0.5)
                return
            except grpc.FutureTimeoutError:
                if time.monotonic() > deadline:
                    raise WorkerLostError(f"TFF worker {self.address} does not answer (waited "
                                          f"{seconds:g} s): is it running and reachable?"
                                          ) from None

    def _check_process(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise WorkerLostError(f"TFF worker {self.address} died (exit code "
                                  f"{self.process.returncode}); see {self.log_path or 'its log'}")

    def executor_factory(self) -> tff.framework.ResourceManagingExecutorFactory:
        def executor_for(cardinalities):
            # TFF retries a call that failed with a retryable gRPC error (a worker gone
            # mid-call) with a new executor: unless the worker is back, fail, naming it.
            self.check(ANSWER_SECONDS)
            # Server-only computations (e.g. `initialize`) name no client count.
            cardinalities.setdefault(tff.CLIENTS, 0)
            executor = tff.framework.RemoteExecutor(self.stub)
            executor.set_cardinalities(cardinalities)
            return executor

        return tff.framework.ResourceManagingExecutorFactory(executor_for)


@contextlib.contextmanager
def connect(address: str, seconds: float, process: subprocess.Popen | None = None,
            log_path: Path | None = None) -> Iterator[_Connection]:
    """A connection to the worker at `address` (HOST:PORT), once it serves.

    Raises:
        WorkerLostError: it does not serve within `seconds`, or `process` (the worker, if
            started here) exits first.
    """
    channel = grpc.insecure_channel(address, _GRPC_OPTIONS)
    try:
        connection = _Connection(address, channel, tff.framework.RemoteExecutorGrpcStub(channel),
                                 process, log_path)
        connection.check(seconds)
        yield connection
    finally:
        channel.close()


def _execution_context(connections: list[_Connection], compile_fn: Callable
                       ) -> tff.framework.SyncContext:
    """One worker runs whole computations; several each run a share of the clients, TFF's
    mergeable form: every worker gets the server state, its clients' data, and returns its
    partial aggregate, which the trainer merges, in the order they arrive. `compile_fn`:
    `_compile`, or the same memoized."""
    if len(connections) == 1:
        return tff.framework.SyncExecutionContext(
            executor_fn=connections[0].executor_factory(), compiler_fn=compile_fn,
            transform_args=tff.tensorflow.transform_args,
            transform_result=tff.tensorflow.transform_result)
    contexts = [tff.framework.AsyncExecutionContext(
        executor_fn=connection.executor_factory(), compiler_fn=compile_fn,
        transform_args=tff.tensorflow.transform_args,
        transform_result=tff.tensorflow.transform_result) for connection in connections]
    return _MergeableContext(contexts, compiler_fn=_compile_mergeable)


class _MergeableContext(tff.framework.MergeableCompExecutionContext):
    """TFF's mergeable context, returning results in the computation's own containers.

    The workers' contexts return the compiled parts' results as plain dicts, and TFF 0.87's
    mergeable context then cannot restore the computation's result type (e.g. a
    `LearningProcessOutput` or `ModelWeights`); restored here from the computation's type.
    """

    def invoke(self, comp, arg=None):
        result = super().invoke(comp, arg)
        return tff.types.type_to_py_container(
            tff.structure.from_container(result, recursive=True), comp.type_signature.result)


class Workers:
    """The TFF workers of a `tff_worker` block, installed as TFF's execution context.

    `process` is the worker started here (None when the workers run elsewhere). TFF's worker
    grows over a long run (TFF #4590), so `restart()` replaces the one started here with a
    fresh one between computations: the trainer's state lives in Python, so the next
    computation continues exactly, after the new worker has loaded it once.
    """

    def __init__(self, config: RuntimeConfig, log_path: Path | None, *,
                 precompile: Sequence[tff.Computation] = ()) -> None:
        for computation in precompile:
            if not isinstance(computation, tff.Computation):
                raise TypeError(f"precompile takes TFF computations (e.g. a process's `next`), "
                                f"got {type(computation).__name__}")
        self._config = config
        self._log_path = log_path
        self._precompile = tuple(precompile)
        # For these workers' life, not one execution context's: a fresh worker (`restart`)
        # comes with a fresh context, whose TFF cache starts empty, and lowering a round's
        # computation (TFF's static Grappler pass most of all) takes seconds. Without this,
        # every restart compiled every computation again, and TFF's cache kept every copy.
        self._compile = functools.lru_cache(maxsize=None)(_compile)
        self._current = contextlib.ExitStack()
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Connects to the running workers, or starts one here, and installs their context."""
        with contextlib.ExitStack() as stack:
            if self._config.workers:
                self.process = None
                connections = [stack.enter_context(connect(address, ANSWER_SECONDS))
                               for address in self._config.workers]
            else:
                self.process, port = start_worker(self._config, self._log_path)
                stack.callback(stop_worker, self.process)
                for computation in self._precompile:  # While the worker boots.
                    self._compile(computation)
                connections = [stack.enter_context(connect(
                    f"localhost:{port}", self._config.startup_seconds, self.process,
                    self._log_path))]
            stack.enter_context(
                tff.framework.get_context_stack().install(
                    _execution_context(connections, self._compile)))
            self._current = stack.pop_all()

    def stop(self) -> None:
        """Restores TFF's previous context and stops the worker started here."""
        self._current.close()

    def restart(self) -> None:
        """A fresh worker in place of the one started here (ValueError with running workers:
        only their owner can restart them)."""
        if self._config.workers:
            raise ValueError("only a worker started here can be restarted")
        self.stop()
        # Frees the old context's executors, which hold cycles (its event-loop thread stays: one
        # idle thread per restart); the compiled computations are kept (`self._compile`).
        gc.collect()
        self.start()

    def after_round(self, round_number: int) -> None:
        """Restarts the worker started here after every `restart_worker_every` rounds (running
        workers are left as they are)."""
        every = self._config.restart_worker_every
        if every and not self._config.workers and round_number % every == 0:
            self.restart()


@contextlib.contextmanager
def tff_worker(config: RuntimeConfig = RuntimeConfig(),  # noqa: B008 (frozen, immutable)
               *, log_path: Path | None = None,
               precompile: Sequence[tff.Computation] = ()) -> Iterator[Workers]:
    """Runs TFF computations on TFF workers for the duration of the `with` block.

    The workers are `config.workers`, or else a fresh one started here. Installs an execution
    context backed by them as TFF's default, and on leaving the block (normally, by exception
    or by Ctrl-C) restores TFF's own default and stops the worker it started. If this process
    is killed outright, the kernel kills that worker.

    `precompile`: computations to compile for the worker started here while it boots,
    instead of when first called. Running workers are already up: there is
    nothing to overlap, and their computations compile when first called.

    Raises:
        WorkerLostError: a worker does not serve in time (`config.startup_seconds` for the one
            started here, `ANSWER_SECONDS` for running ones), or dies or stops answering
            during a computation (the computation fails).

    Yields:
        The workers (`Workers`: the process started here, for tests and diagnostics, and
        its restart).
    """
    workers = Workers(config, log_path, precompile=precompile)
    workers.start()
    try:
        yield workers
    finally:
        workers.stop()
