"""Program state saved after every round, so a stopped run resumes where it stopped.

A checkpoint holds the learning process state (global model and server optimizer state) as
the flat list of its arrays; the caller flattens it and packs it back into the structure of
a freshly initialized state (so this module needs no TensorFlow). Writes are atomic: a run
killed mid-write keeps the previous checkpoint.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Optional

import numpy as np

from model.atomic_files import atomic_writer

_NAME = re.compile(r"round_(\d{6})\.npz")
KEEP_LAST = 2


def checkpoint_path(directory: Path, round_number: int) -> Path:
    return directory / f"round_{round_number:06d}.npz"


def latest_round(directory: str | os.PathLike) -> int:
    """The newest round with a checkpoint in `directory`, or 0 if there is none."""
    directory = Path(directory)
    if not directory.is_dir():
        return 0
    rounds = [int(m.group(1)) for p in directory.iterdir() if (m := _NAME.fullmatch(p.name))]
    return max(rounds, default=0)


def save_leaves(directory: str | os.PathLike, round_number: int,
                leaves: list[np.ndarray]) -> None:
    """Saves the state arrays reached after `round_number`; drops all but the newest few."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    with atomic_writer(checkpoint_path(directory, round_number), binary=True) as handle:
        np.savez(handle, *leaves)
    for path in directory.iterdir():
        match = _NAME.fullmatch(path.name)
        if match and int(match.group(1)) <= round_number - KEEP_LAST:
            path.unlink()


def load_leaves(directory: str | os.PathLike, round_number: int,
                expected_shapes: list[tuple[Optional[int], ...]]) -> list[np.ndarray]:
    """Loads the state arrays of `round_number`, checking them against `expected_shapes`
    (a None dimension matches any size)."""
    path = checkpoint_path(Path(directory), round_number)
    with np.load(path) as stored:
        leaves = [stored[f"arr_{i}"] for i in range(len(stored.files))]
    if len(leaves) != len(expected_shapes) or not all(
            _fits(leaf.shape, shape) for leaf, shape in zip(leaves, expected_shapes)):
        raise ValueError(f"{path} does not fit this model and optimizer; it was written by a "
                         "run with other settings")
    return leaves


def _fits(shape: tuple[int, ...], expected: tuple[Optional[int], ...]) -> bool:
    return len(shape) == len(expected) and all(
        want is None or have == want for have, want in zip(shape, expected))
