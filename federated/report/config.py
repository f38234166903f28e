"""The report's settings: read at the command line, recorded in report.json (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from federated.training.run_dir import RunDir


@dataclass(frozen=True)
class ReportConfig:
    """What `python -m federated.report` evaluates and how it trains its baselines.

    Attributes:
        run_dir: the finished training run to report on.
        device_logs: the keyboard app's device data directory, for live metrics.
        ngram_order: longest n-gram of the Kneser-Ney baseline (3: trigram, as a keyboard's
            production n-gram).
        centralized_learning_rate: Adam's learning rate for the server baseline, chosen by a
            sweep scored on training users held out (docs/tuning.md), never on eval users.
        centralized_batch_size: examples per step of the server baseline.
        compare: other finished runs of the same data and split, each changing some
            settings (privacy, attack, defence, devices, compression), compared with this one.
    """

    run_dir: Path
    device_logs: Optional[Path] = None
    ngram_order: int = 3
    centralized_learning_rate: float = 3e-3
    centralized_batch_size: int = 32
    compare: tuple[Path, ...] = ()

    def __post_init__(self):
        if self.ngram_order < 1:
            raise ValueError(f"--ngram-order must be >= 1, got {self.ngram_order}")
        if self.centralized_learning_rate <= 0:
            raise ValueError("--centralized-lr must be > 0, got "
                             f"{self.centralized_learning_rate}")
        if self.centralized_batch_size < 1:
            raise ValueError("--centralized-batch-size must be >= 1, got "
                             f"{self.centralized_batch_size}")
        if self.run_dir in self.compare:
            raise ValueError(f"--compare lists the reported run {self.run_dir} itself")

    @property
    def report_dir(self) -> Path:
        return RunDir(self.run_dir).report
