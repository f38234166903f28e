"""The versioned export of the query-suggestion triggering model, which serves from numpy.

Layout of `DIR/model` (a symlink, swapped atomically, to `DIR/exports/<version>/`), as the
next-word export (`model.export`) does it:
    triggering.npz          weights and bias (`model.triggering.save_triggering_model`)
    triggering.json         the feature options (format, hash, buckets, ...)
    query_candidates.json   the queries it may propose (`model.query_candidates`)
    config.json             {"format": 1, "kind": "query-suggestions", "version", "threshold",
                            "keep_share", "metadata"}: show a suggestion when the model's tap
                            probability is >= threshold. Written last: it marks a complete
                            version.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from model import triggering
from model.export import (
    CONFIG_FILE,
    EXPORT_FORMAT,
    ExportError,
    publish_version,
    weights_version,
)
from model.query_candidates import QueryIndex, load_query_index, save_query_index
from model.triggering import TriggeringModel, load_triggering_model, save_triggering_model

KIND = "query-suggestions"
CANDIDATES_FILE = "query_candidates.json"


@dataclass(frozen=True)
class TriggeringExport:
    """A loaded export: the model, its candidates and the threshold to show at."""

    directory: Path
    version: str
    model: TriggeringModel
    candidates: QueryIndex
    threshold: float
    keep_share: float
    metadata: dict[str, Any]


def write_triggering_export(directory: str | os.PathLike, model: TriggeringModel,
                            candidates: QueryIndex, *, threshold: float, keep_share: float,
                            label: str, metadata: dict[str, Any]) -> str:
    """Writes a new version into `directory`/exports and points `directory`/model at it.

    Returns:
        The version: `label` plus a hash of the weights, the threshold and the candidates
        (the same export twice reuses its version).
    """
    directory = Path(directory)
    version = weights_version(
        {"weights": model.weights, "bias": _bytes(repr(model.bias)),
         "threshold": _bytes(repr(threshold)), "candidates": _bytes(candidates.to_json())},
        label=label)

    def write(staging: Path) -> None:
        save_triggering_model(staging, model)
        save_query_index(staging / CANDIDATES_FILE, candidates)
        config = {"format": EXPORT_FORMAT, "kind": KIND, "version": version,
                  "threshold": threshold, "keep_share": keep_share, "metadata": metadata}
        (staging / CONFIG_FILE).write_text(json.dumps(config, indent=2) + "\n",
                                           encoding="utf-8")

    publish_version(directory, version, write)
    return version


def _bytes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _read_config(directory: Path) -> dict[str, Any]:
    try:
        config = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExportError(f"{directory}: no {CONFIG_FILE}; not a query-suggestion export (train "
                          "one with `python -m federated.train_queries`)") from None
    except json.JSONDecodeError as error:
        raise ExportError(f"{directory / CONFIG_FILE}: not valid JSON ({error})") from None
    if not isinstance(config, dict) or config.get("format") != EXPORT_FORMAT or config.get(
            "kind") != KIND:
        raise ExportError(f"{directory / CONFIG_FILE}: not a {KIND} export of format "
                          f"{EXPORT_FORMAT}")
    return config


def read_triggering_version(path: str | os.PathLike) -> tuple[str, Path]:
    """The version of the export at `path` and its directory (reads `config.json` only).

    Raises:
        ExportError: not a query-suggestion export of a format this code reads.
    """
    directory = Path(path).resolve()
    return str(_read_config(directory)["version"]), directory


def read_triggering_export(path: str | os.PathLike) -> TriggeringExport:
    """Loads an export (resolving the `model` symlink once).

    Raises:
        ExportError: not a complete query-suggestion export of a format this code reads.
    """
    directory = Path(path).resolve()
    config = _read_config(directory)
    for name in (triggering.WEIGHTS_FILE, triggering.CONFIG_FILE, CANDIDATES_FILE):
        if not (directory / name).is_file():
            raise ExportError(f"{directory}: {name} is missing; the export is incomplete")
    return TriggeringExport(
        directory=directory, version=str(config["version"]),
        model=load_triggering_model(directory), candidates=load_query_index(
            directory / CANDIDATES_FILE),
        threshold=float(config["threshold"]), keep_share=float(config["keep_share"]),
        metadata=dict(config.get("metadata", {})))
