"""Running a command in a child process and measuring it: wall time and peak resident memory."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ChildUsage:
    """What one child process took.

    Attributes:
        seconds: Wall time from start to exit.
        cpu_seconds: Its user and system CPU time (less sensitive than wall time to other
            work on the machine).
        peak_mib: Its peak resident set size (ru_maxrss of that child alone), MiB.
        stdout: What it printed.
    """

    seconds: float
    cpu_seconds: float
    peak_mib: float
    stdout: str


def run_measured(argv: Sequence[str], *, cwd: str | os.PathLike[str] | None = None
                 ) -> ChildUsage:
    """Runs `argv` in `cwd` to completion (stderr passes through) and measures it.

    Raises:
        RuntimeError: The command failed (its exit status in the message).
    """
    started = time.perf_counter()
    with subprocess.Popen(list(argv), stdout=subprocess.PIPE, text=True, cwd=cwd) as process:
        stdout = process.stdout.read() if process.stdout else ""
        # wait4 reaps this child alone, so its usage is its own (not every child's maximum).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited with status {process.returncode}")
    # Linux reports ru_maxrss in KiB.
    return ChildUsage(time.perf_counter() - started, usage.ru_utime + usage.ru_stime,
                      usage.ru_maxrss / 1024, stdout)
