"""Write a file completely or not at all: readers never see half of it."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def _create_temporary(path: Path) -> tuple[int, Path]:
    """Creates a fresh file beside `path` (same filesystem, so the final rename is atomic).

    O_EXCL with mode 0o666 respects the umask, unlike tempfile's private 0o600 files.
    """
    while True:
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, *, binary: bool = False) -> Iterator[IO]:
    """Opens a temporary file beside `path`; on success it is synced and renamed over `path`.

    On any exception (including Ctrl-C) the temporary file is removed and `path` is untouched.
    """
    path = Path(path)
    descriptor, temporary = _create_temporary(path)
    try:
        if binary:
            handle = os.fdopen(descriptor, "wb")
        else:
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline="\n")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Replaces `path` with `text` (UTF-8) atomically."""
    with atomic_writer(path) as handle:
        handle.write(text)
