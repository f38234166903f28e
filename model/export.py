"""The versioned model export the keyboard app loads.

Layout of `RUN_DIR/model` (a symlink, swapped atomically, to `RUN_DIR/exports/<version>/`):
    config.json   {"format": 1, "version": ..., "model": ModelConfig fields, "metadata": {...}}
    vocab.txt     one token per line, id order, special tokens first
    weights.npz   the Keras variables by name
    model.tflite  the serving function: (ids[1, sequence_length], last_index[1]) -> logits[1, V]
    ngram.npz     only when config.json has a `network_weight` below 1: the n-gram
                  (`model.ngram`) the keyboard interpolates with the network at that weight
                  (`model.interpolation`)

Readers resolve the symlink once and read every file from that directory, so they never mix
two versions. A directory is complete once `config.json` exists: it is written last.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import numpy as np

from model.config import ModelConfig
from model.ngram import KneserNeyModel
from model.vocab import Vocabulary

EXPORT_FORMAT = 1
CONFIG_FILE = "config.json"
VOCAB_FILE = "vocab.txt"
# Inside the directory `write_export` is given: the versions, and the link to the newest.
EXPORTS_DIR = "exports"
CURRENT_LINK = "model"
WEIGHTS_FILE = "weights.npz"
TFLITE_FILE = "model.tflite"
NGRAM_FILE = "ngram.npz"


class ExportError(ValueError):
    """An export directory is missing, incomplete or of an unknown format."""


@dataclass(frozen=True)
class ExportInfo:
    """What `config.json` says about an export."""

    directory: Path
    version: str
    model_config: ModelConfig
    metadata: dict[str, Any]
    network_weight: float = 1.0  # Below 1: interpolated with the export's n-gram.

    def read_ngram(self) -> Optional[KneserNeyModel]:
        """The export's n-gram (None when the network is served alone); ExportError if its
        file is damaged or of another vocabulary."""
        if self.network_weight == 1:
            return None
        try:
            return KneserNeyModel.load(self.directory / NGRAM_FILE,
                                       vocab_size=self.model_config.vocab_size)
        except ValueError as error:
            raise ExportError(str(error)) from None


def weights_version(weights: dict[str, np.ndarray], *, label: str,
                    ngram: Optional[KneserNeyModel] = None, network_weight: float = 1.0) -> str:
    """Returns a version name: `label` plus a hash of the weights, and of the n-gram and the
    network's weight when it is interpolated (same model, same name)."""
    arrays = dict(weights)
    if network_weight != 1:
        if ngram is None:
            raise ValueError(f"network weight {network_weight} needs an n-gram")
        arrays.update({f"{NGRAM_FILE}/{name}": table for name, table in ngram.tables().items()})
        arrays[f"{NGRAM_FILE}/network_weight"] = np.float64(network_weight)
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return f"{label}-{digest.hexdigest()[:10]}"


def read_export_info(path: str | os.PathLike) -> ExportInfo:
    """Reads and checks `config.json` of an export (resolving the `model` symlink)."""
    directory = Path(path).resolve()
    config_path = directory / CONFIG_FILE
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{directory}: no {CONFIG_FILE}; not a model export "
                          "(train one with `python -m federated.train`)") from None
    except json.JSONDecodeError as error:
        raise ExportError(f"{config_path}: not valid JSON ({error})") from None
    if config.get("format") != EXPORT_FORMAT:
        raise ExportError(f"{config_path}: unknown export format {config.get('format')!r}, "
                          f"expected {EXPORT_FORMAT}")
    network_weight = config.get("network_weight", 1.0)
    if not isinstance(network_weight, (int, float)) or not 0 <= network_weight <= 1:
        raise ExportError(f"{config_path}: network_weight must be in [0, 1], got "
                          f"{network_weight!r}")
    for name in (VOCAB_FILE, WEIGHTS_FILE, TFLITE_FILE, *((NGRAM_FILE,) * (network_weight < 1))):
        if not (directory / name).is_file():
            raise ExportError(f"{directory}: {name} is missing; the export is incomplete")
    try:
        model_config = ModelConfig(**config["model"])
    except (KeyError, TypeError, ValueError) as error:
        raise ExportError(f"{config_path}: bad model config ({error})") from None
    return ExportInfo(directory, str(config["version"]), model_config,
                      dict(config.get("metadata", {})), float(network_weight))


def write_export(
    run_dir: str | os.PathLike,
    *,
    model_config: ModelConfig,
    vocab: Vocabulary,
    weights: dict[str, np.ndarray],
    tflite_model: bytes,
    label: str,
    metadata: dict[str, Any] | None = None,
    ngram: Optional[KneserNeyModel] = None,
    network_weight: float = 1.0,
) -> ExportInfo:
    """Writes a new export version and points `run_dir/model` at it atomically.

    With `network_weight` below 1 the export carries `ngram`, and the keyboard serves the
    network interpolated with it at that weight; at 1 the network alone (`ngram` unused).

    Returns:
        The written export's info. Re-exporting an identical model reuses the version.
    """
    if vocab.size != model_config.vocab_size:
        raise ValueError(f"vocabulary has {vocab.size} ids but the model expects "
                         f"{model_config.vocab_size}")
    if ngram is not None and ngram.vocab_size != vocab.size:
        raise ValueError(f"the n-gram scores {ngram.vocab_size} ids, the vocabulary has "
                         f"{vocab.size}")
    version = weights_version(weights, label=label, ngram=ngram, network_weight=network_weight)
    interpolated = network_weight != 1

    def write(staging: Path) -> None:
        vocab.save(staging / VOCAB_FILE)
        np.savez(staging / WEIGHTS_FILE, **weights)
        (staging / TFLITE_FILE).write_bytes(tflite_model)
        if interpolated:
            ngram.save(staging / NGRAM_FILE)
        config = {"format": EXPORT_FORMAT, "version": version,
                  "model": dataclasses.asdict(model_config), "metadata": metadata or {},
                  **({"network_weight": network_weight} if interpolated else {})}
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n",
                                           encoding="utf-8")

    return read_export_info(publish_version(Path(run_dir), version, write))


def publish_version(directory: Path, version: str, write: Callable[[Path], None]) -> Path:
    """Writes export `version` under `directory/exports/` and points `directory/model` at it.

    `write(staging)` fills a fresh staging directory, which then becomes the version in one
    rename: readers never see half an export. A version that exists already is reused (its
    content is determined by its name). Returns the version's directory.
    """
    exports = directory / EXPORTS_DIR
    exports.mkdir(parents=True, exist_ok=True)
    final = exports / version
    if not final.exists():
        staging = Path(tempfile.mkdtemp(prefix=f".{version}.", dir=exports))
        try:
            write(staging)
            os.replace(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    _point_symlink(directory / CURRENT_LINK, Path(EXPORTS_DIR) / version)
    return final


def _point_symlink(link: Path, target: Path) -> None:
    """Makes `link` point at `target` in one atomic rename."""
    if link.exists() and not link.is_symlink():
        raise ExportError(f"{link} exists and is not a symlink; move it away")
    temporary = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(target)
    os.replace(temporary, link)
