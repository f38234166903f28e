"""The run directory: every file a training run writes, named in one place.

    RUN_DIR/config.json     settings, data path and hash, run format; checked on --resume
    RUN_DIR/vocab.txt       the run's vocabulary, fixed when the run starts
    RUN_DIR/metrics.csv     one row per round (`federated.training.metrics_file`)
    RUN_DIR/summary.json    final scores and provenance; written last, so it marks a finished run
    RUN_DIR/checkpoints/    the learning-process state after the last rounds
    RUN_DIR/worker.log      what the TFF worker printed
    RUN_DIR/exports/V/      every model export; RUN_DIR/model links to the newest (`model.export`)
    RUN_DIR/report/         what `python -m federated.report` writes
    RUN_DIR/queries/        the query-suggestion triggering run, in the same layout (its model
                            export: `model.triggering_export`)

`RUN_FORMAT` numbers this layout and the keys of config.json, summary.json and metrics.csv.
Format 2 added the settings `model_dropout`, `validation`, the server learning rate's
half-life and the workers (read as format 1, a run would silently take their defaults of
today). A format-2 config.json without the clients' learning-rate half-life was written before
that setting existed and reads as 0, the constant rate it trained at. A run whose config.json
has no number was written before the number existed (format 1); runs of any other format are
refused with one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from model.export import CURRENT_LINK, EXPORTS_DIR, VOCAB_FILE

RUN_FORMAT = 2


class RunFormatError(ValueError):
    """The run directory was written by a trainer whose files this one cannot read."""


@dataclass(frozen=True)
class RunDir:
    """The paths of one run directory (nothing is created or read here)."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def vocab(self) -> Path:
        return self.path / VOCAB_FILE

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def summary(self) -> Path:
        return self.path / "summary.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def worker_log(self) -> Path:
        return self.path / "worker.log"

    @property
    def exports(self) -> Path:
        return self.path / EXPORTS_DIR

    @property
    def model(self) -> Path:
        return self.path / CURRENT_LINK

    @property
    def report(self) -> Path:
        return self.path / "report"

    @property
    def queries(self) -> RunDir:
        """The query-suggestion triggering run that belongs to this run: a run directory of
        the same layout (no vocab.txt or report/), trained on the same data and held-out users
        (`python -m federated.train_queries --out RUN_DIR/queries`)."""
        return RunDir(self.path / "queries")


def run_config_json(train: dict[str, Any], data: Path, data_sha256: str, *,
                    logs_sha256: Optional[dict[str, str]] = None) -> str:
    """The text of RUN_DIR/config.json: the run's settings, its data, and the run format
    (and `logs_sha256`, the hashes of the logs beside the data, for runs that read them)."""
    saved = {"format": RUN_FORMAT, "train": train, "data": str(data.resolve()),
             "data_sha256": data_sha256}
    if logs_sha256 is not None:
        saved["logs_sha256"] = logs_sha256
    return json.dumps(saved, indent=2) + "\n"


def read_run_config(run_dir: RunDir) -> dict[str, Any]:
    """RUN_DIR/config.json's content, refused unless this trainer can read the run.

    Raises:
        RunFormatError: the run was written in another format.
        FileNotFoundError: there is no config.json.
    """
    saved = json.loads(run_dir.config.read_text(encoding="utf-8"))
    found = saved.get("format", 1)
    if found != RUN_FORMAT:
        raise RunFormatError(f"{run_dir.path} was written in run format {found}; this trainer "
                             f"reads format {RUN_FORMAT}: train it again")
    return saved
