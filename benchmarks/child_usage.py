"""Running a Python module in a child process and measuring it: wall time, CPU, peak memory.

The peak is the child's own `VmHWM`, read by the child at exit. The `ru_maxrss` that `wait4`
reports is not: on Linux, exec records the forking parent's peak into it, so a child of a
large process (a test run that has loaded TensorFlow) would report the parent's size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ChildUsage:
    """What one child process took.

    Attributes:
        seconds: Wall time from start to exit.
        cpu_seconds: Its user and system CPU time (less sensitive than wall time to other
            work on the machine).
        peak_mib: Its peak resident set size (its own VmHWM at exit), MiB.
        stdout: What it printed.
    """

    seconds: float
    cpu_seconds: float
    peak_mib: float
    stdout: str


# Runs the module named by argv[1] as __main__ with the rest as its arguments, and at exit
# writes its own VmHWM line to the file named by argv[0].
_SHIM = """
import atexit, runpy, sys
path, module, *arguments = sys.argv[1:]
def record():
    with open("/proc/self/status") as status, open(path, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")))
atexit.register(record)
sys.argv = [module, *arguments]
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""


def run_measured(module: str, arguments: Sequence[str], *,
                 cwd: str | os.PathLike[str] | None = None) -> ChildUsage:
    """Runs `python -m module arguments` in `cwd` to completion (stderr passes through) and
    measures it (Linux: its peak comes from /proc).

    Raises:
        RuntimeError: The command failed (its exit status in the message).
    """
    with tempfile.TemporaryDirectory() as scratch:
        peak_file = Path(scratch) / "peak"
        argv = [sys.executable, "-c", _SHIM, str(peak_file), module, *arguments]
        started = time.perf_counter()
        with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, cwd=cwd) as process:
            stdout = process.stdout.read() if process.stdout else ""
            _, status, usage = os.wait4(process.pid, 0)  # This child's own CPU time.
            process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"python -m {module} {' '.join(arguments)} exited with status "
                               f"{process.returncode}")
        peak_kib = int(peak_file.read_text().split()[1])  # "VmHWM:  12345 kB"
    return ChildUsage(seconds, usage.ru_utime + usage.ru_stime, peak_kib / 1024, stdout)
