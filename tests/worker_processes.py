"""Finding TFF worker processes through /proc (Linux), to prove none outlives its parent."""

from __future__ import annotations

from pathlib import Path

from federated.learning.worker import WORKER_BINARY_NAME


def _parent_and_name(pid: int) -> tuple[int, str] | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    name = stat[stat.index("(") + 1: stat.rindex(")")]
    state, parent = stat[stat.rindex(")") + 2:].split()[:2]
    return (int(parent), name) if state != "Z" else None


def worker_pids(parent: int | None = None) -> list[int]:
    """Live (not zombie) TFF worker processes, optionally only the children of `parent`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _parent_and_name(int(entry.name))
            # The kernel keeps only the first 15 characters of a process name.
            if found and found[1] == WORKER_BINARY_NAME[:15] and parent in (None, found[0]):
                pids.append(int(entry.name))
    return pids


def is_alive(pid: int) -> bool:
    return _parent_and_name(pid) is not None
