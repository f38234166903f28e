"""Per-round metrics: the rows of `RUN_DIR/metrics.csv`, rewritten atomically every round."""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Optional

from data.atomic_files import atomic_write_text
from federated.training.run_dir import RUN_FORMAT, RunFormatError


@dataclass(frozen=True)
class EvalMetrics:
    """The global model's scores on the held-out users."""

    loss: float
    top1_recall: float
    top3_recall: float
    top1_recall_without_oov: float
    scored_words: int


@dataclass(frozen=True)
class RoundMetrics:
    """What one round did; eval fields are None in rounds without evaluation.

    `clients` counts the devices whose update was aggregated: the `sampled` ones minus the
    `dropped` ones. `eligible` is the number of users whose phones could train at the round's
    clock time (None unless eligibility is simulated), `malicious` the attackers among the
    clients, `left_out` the clients whose update the similarity filter left out (None with
    other aggregators). A round nobody could train in has 0 clients and NaN train metrics.
    """

    round: int
    seconds: float
    clients: int
    train_examples: int
    train_loss: float
    train_top1_recall: float
    eval_loss: Optional[float] = None
    eval_top1_recall: Optional[float] = None
    eval_top3_recall: Optional[float] = None
    eval_top1_recall_without_oov: Optional[float] = None
    sampled: Optional[int] = None
    dropped: Optional[int] = None
    eligible: Optional[int] = None
    malicious: Optional[int] = None
    left_out: Optional[int] = None


COLUMNS = [f.name for f in fields(RoundMetrics)]
_INTEGER_COLUMNS = {"round", "clients", "train_examples", "sampled", "dropped", "eligible",
                    "malicious", "left_out"}


def write_history(path: str | os.PathLike, rows: list[RoundMetrics]) -> None:
    """Replaces `path` with a CSV of `rows` (header first; empty cells for None)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in asdict(row).items()})
    atomic_write_text(path, buffer.getvalue())


def read_history(path: str | os.PathLike) -> list[RoundMetrics]:
    """Reads a CSV written by `write_history`; a missing file is an empty history.

    Raises:
        RunFormatError: the file does not have this run format's columns.
    """
    path = Path(path)
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != COLUMNS:
            raise RunFormatError(f"{path} has the columns of another run format; this "
                                 f"trainer reads format {RUN_FORMAT}: train the run again")
        return [RoundMetrics(**{k: _parse(k, v) for k, v in row.items()}) for row in reader]


def _parse(column: str, cell: str):
    if cell == "":
        return None
    return int(cell) if column in _INTEGER_COLUMNS else float(cell)


def latest_eval(rows: list[RoundMetrics]) -> Optional[RoundMetrics]:
    """The last row with evaluation metrics, if any."""
    evaluated = [row for row in rows if row.eval_top1_recall is not None]
    return evaluated[-1] if evaluated else None
