"""Everything a run needs before TensorFlow starts: checked data, user split, vocabulary.

Pure Python, so bad arguments and bad data are refused in a second, not after TF loads.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from data.atomic_files import atomic_write_text
from data.records import group_by_user, read_records
from data.split import split_users
from federated import checkpoint
from federated.config import TrainConfig
from model.vocab import Vocabulary, build_vocabulary

RUN_CONFIG_FILE = "config.json"


@dataclass(frozen=True)
class Workspace:
    """A checked run: where it writes, what it computes, and the data it trains on.

    Attributes:
        run_dir: the run directory (created).
        config: the run's settings.
        data_path, data_sha256: the typing histories and their hash (provenance).
        vocab: built from training users only.
        train_texts, eval_texts: messages per user; the two user sets are disjoint.
        resume_round: the checkpointed round to continue from (0: start fresh).
    """

    run_dir: Path
    config: TrainConfig
    data_path: Path
    data_sha256: str
    vocab: Vocabulary
    train_texts: dict[str, list[str]]
    eval_texts: dict[str, list[str]]
    resume_round: int


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def prepare_workspace(data_path: Path, run_dir: Path, config: TrainConfig, *, resume: bool,
                      skip_bad: bool) -> Workspace:
    """Checks the arguments against the data and the run directory, then splits the data.

    Raises:
        ValueError / FileNotFoundError: with a one-line message saying what to change.
    """
    if not data_path.is_file():
        raise FileNotFoundError(f"--data {data_path}: no such file")
    data_sha256 = file_sha256(data_path)
    resume_round = _check_run_dir(run_dir, config, data_sha256, resume=resume)
    loaded = read_records(data_path, skip_bad=skip_bad)
    if loaded.problems:
        print(f"skipped {len(loaded.problems)} bad records of {data_path} "
              f"(first: {loaded.problems[0]})", file=sys.stderr)
    split = split_users(group_by_user(loaded.records), eval_fraction=config.eval_fraction,
                        seed=config.seed)
    if config.clients_per_round > len(split.train):
        raise ValueError(f"--clients-per-round {config.clients_per_round} is more than the "
                         f"{len(split.train)} training users in {data_path}; lower it")
    train_texts = {user: [r.text for r in records] for user, records in split.train.items()}
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / RUN_CONFIG_FILE, json.dumps(
        {"train": config.to_dict(), "data": str(data_path), "data_sha256": data_sha256},
        indent=2) + "\n")
    return Workspace(
        run_dir=run_dir, config=config, data_path=data_path, data_sha256=data_sha256,
        vocab=build_vocabulary(train_texts, size=config.vocab_words),
        train_texts=train_texts,
        eval_texts={user: [r.text for r in records] for user, records in split.eval.items()},
        resume_round=resume_round)


def _check_run_dir(run_dir: Path, config: TrainConfig, data_sha256: str, *,
                   resume: bool) -> int:
    """Returns the round to resume from, refusing runs that cannot be continued."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"--out {run_dir} is a file, not a directory")
    saved_path = run_dir / RUN_CONFIG_FILE
    if not resume:
        if run_dir.exists() and any(run_dir.iterdir()):
            raise ValueError(f"--out {run_dir} already holds a run; pass --resume to continue "
                             "it, or choose another --out")
        return 0
    if not saved_path.exists():
        return 0
    saved = json.loads(saved_path.read_text(encoding="utf-8"))
    problems = config.resume_conflicts(TrainConfig.from_dict(saved["train"]))
    if saved["data_sha256"] != data_sha256:
        problems.append(f"data: {saved['data']} has changed since the run started")
    if problems:
        raise ValueError(f"cannot resume {run_dir} with other settings ("
                         + "; ".join(problems) + "); use the saved ones or another --out")
    resume_round = checkpoint.latest_round(run_dir / "checkpoints")
    if resume_round > config.rounds:
        raise ValueError(f"{run_dir} has reached round {resume_round}, past --rounds "
                         f"{config.rounds}")
    return resume_round
