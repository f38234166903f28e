"""Per-round metrics: the rows of `RUN_DIR/metrics.csv`, rewritten atomically every round,
and the recorders that make a round's row (pure Python)."""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Optional, Protocol, get_args, get_type_hints

from federated.aggregators.measurements import LEFT_OUT, find_measurement
from federated.simulation.sampling import RoundPlan
from federated.training.run_dir import RUN_FORMAT, RunFormatError
from model.atomic_files import atomic_write_text


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


def write_rows(path: str | os.PathLike, rows: Sequence[Any], row_type: type) -> None:
    """Replaces `path` with a CSV of `rows` (dataclasses of `row_type`): a header of its
    field names, then one line per row, empty cells for None."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[f.name for f in fields(row_type)],
                            lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in asdict(row).items()})
    atomic_write_text(path, buffer.getvalue())


def read_rows(path: str | os.PathLike, row_type: type) -> list[Any]:
    """Reads a CSV written by `write_rows` for `row_type`; a missing file has no rows.

    Fields typed `int` or `Optional[int]` are read as integers, the others as floats.

    Raises:
        RunFormatError: the file does not have `row_type`'s columns.
    """
    path = Path(path)
    if not path.exists():
        return []
    hints = get_type_hints(row_type)
    columns = {f.name: int in (hints[f.name], *get_args(hints[f.name])) for f in fields(row_type)}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != list(columns):
            raise RunFormatError(f"{path} has the columns of another run format; this "
                                 f"trainer reads format {RUN_FORMAT}: train the run again")
        return [row_type(**{k: _parse(columns[k], v) for k, v in row.items()})
                for row in reader]


def _parse(is_int: bool, cell: str) -> Any:
    if cell == "":
        return None
    return int(cell) if is_int else float(cell)


def write_history(path: str | os.PathLike, rows: list[RoundMetrics]) -> None:
    """Replaces `path` with the next-word run's metrics.csv of `rows`."""
    write_rows(path, rows, RoundMetrics)


def read_history(path: str | os.PathLike) -> list[RoundMetrics]:
    """Reads the next-word run's metrics.csv; a missing file is an empty history.

    Raises:
        RunFormatError: the file does not have this run format's columns.
    """
    return read_rows(path, RoundMetrics)


def latest_eval(rows: list[RoundMetrics]) -> Optional[RoundMetrics]:
    """The last row with evaluation metrics, if any."""
    evaluated = [row for row in rows if row.eval_top1_recall is not None]
    return evaluated[-1] if evaluated else None


@dataclass(frozen=True)
class RoundOutcome:
    """What one round did, for its metrics.csv row.

    Attributes:
        round: the round's number.
        seconds: the round's wall-clock time, evaluation included.
        plan: who was sampled, and who survived to train.
        train: the clients' training metrics (TFF's `client_work` `train` metrics, e.g.
            `loss`, `num_examples`); empty when nobody trained.
        aggregator: the aggregator's measurements (None when nobody trained).
        evaluation: what `evaluate` returned after the round, if the round evaluated.
    """

    round: int
    seconds: float
    plan: RoundPlan
    train: Mapping[str, Any]
    aggregator: Any
    evaluation: Any = None


class RoundRecorder(Protocol):
    """How a run records its rounds: the metrics.csv row of a round, the file, the progress."""

    def row(self, outcome: RoundOutcome) -> Any:
        """The round's metrics.csv row."""

    def write(self, path: Path, rows: Sequence[Any]) -> None:
        """Replaces metrics.csv with `rows`."""

    def progress(self, rows: Sequence[Any]) -> dict[str, str]:
        """What the progress bar shows after the last of `rows`."""


@dataclass(frozen=True)
class NextWordRecorder:
    """The next-word run's rows (`RoundMetrics`), counting `malicious_clients` per round."""

    malicious_clients: frozenset[str] = frozenset()

    def row(self, outcome: RoundOutcome) -> RoundMetrics:
        plan, train, evaluation = outcome.plan, outcome.train, outcome.evaluation
        return RoundMetrics(
            round=outcome.round, seconds=outcome.seconds, clients=len(plan.trained),
            train_examples=int(train.get("num_examples", 0)),
            train_loss=float(train.get("loss", math.nan)),
            train_top1_recall=float(train.get("top1_recall", math.nan)),
            sampled=len(plan.sampled), dropped=plan.dropped, eligible=plan.eligible,
            malicious=len(self.malicious_clients.intersection(plan.trained)),
            left_out=find_measurement(outcome.aggregator, LEFT_OUT),
            **({} if evaluation is None else {
                "eval_loss": evaluation.loss, "eval_top1_recall": evaluation.top1_recall,
                "eval_top3_recall": evaluation.top3_recall,
                "eval_top1_recall_without_oov": evaluation.top1_recall_without_oov}))

    def write(self, path: Path, rows: Sequence[RoundMetrics]) -> None:
        write_history(path, list(rows))

    def progress(self, rows: Sequence[RoundMetrics]) -> dict[str, str]:
        last_eval = latest_eval(list(rows))
        return {"loss": f"{rows[-1].train_loss:.3f}", "s_per_round": f"{rows[-1].seconds:.1f}",
                "eval_top1": f"{last_eval.eval_top1_recall:.3f}" if last_eval else "-"}
