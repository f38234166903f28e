"""Everything a triggering run needs before TensorFlow starts: checked logs, the user split,
the query candidates.

Pure Python. The users are split exactly as the next-word run splits them
(`federated.training.workspace.split_histories`: the typing histories, the seed and the
held-out share), so with the same data, seed and share both models hold out the same users.
Candidates come from the training users' searches only; held-out users' impressions are
never trained on.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from data.impressions import (
    ImpressionRecord,
    group_impressions_by_user,
    impressions_path,
    read_impressions,
    searches_path,
)
from data.records import read_records
from federated.simulation.availability import Availability, build_availability
from federated.training.query_config import QueryTrainConfig
from federated.training.query_metrics import QueryRoundMetrics
from federated.training.run_dir import RunDir, run_config_json
from federated.training.workspace import check_run_dir, file_sha256, split_histories
from model.atomic_files import atomic_write_text
from model.query_candidates import QueryIndex, build_query_index


@dataclass(frozen=True)
class QueryWorkspace:
    """A checked triggering run.

    Attributes:
        run_dir: the run directory (created).
        config: the run's settings.
        data_path, data_sha256: the typing histories (they decide the user split).
        logs_sha256: hashes of the impression and search logs beside them.
        train_impressions: each training user's impressions, in the order shown (users
            without impressions are absent).
        eval_impressions: the same for the held-out users.
        candidates: the query index built from the training users' searches.
        resume_round: the checkpointed round to continue from (0: start fresh).
        availability: which training users' phones can train when (None: all, always).
    """

    run_dir: Path
    config: QueryTrainConfig
    data_path: Path
    data_sha256: str
    logs_sha256: dict[str, str]
    train_impressions: dict[str, list[ImpressionRecord]]
    eval_impressions: dict[str, list[ImpressionRecord]]
    candidates: QueryIndex
    resume_round: int
    availability: Optional[Availability] = None

    @property
    def files(self) -> RunDir:
        return RunDir(self.run_dir)


def log_paths(data_path: Path) -> dict[str, Path]:
    """The logs beside the histories (`data.impressions` names them), by kind."""
    return {"impressions": Path(impressions_path(data_path)),
            "searches": Path(searches_path(data_path))}


def prepare_query_workspace(data_path: Path, run_dir: Path, config: QueryTrainConfig, *,
                            resume: bool, skip_bad: bool) -> QueryWorkspace:
    """Checks the arguments against the data and the run directory, then splits the logs.

    Raises:
        ValueError / FileNotFoundError: with a one-line message saying what to change.
    """
    if not data_path.is_file():
        raise FileNotFoundError(f"--data {data_path}: no such file")
    logs = log_paths(data_path)
    for kind, path in logs.items():
        if not path.is_file():
            raise FileNotFoundError(f"no {kind} log {path} beside --data {data_path}; "
                                    "generate the data again with `python -m data.generate`")
    data_sha256 = file_sha256(data_path)
    logs_sha256 = {kind: file_sha256(path) for kind, path in logs.items()}
    resume_round = check_run_dir(run_dir, config, data_sha256, resume=resume,
                                 read_config=QueryTrainConfig.from_dict,
                                 row_type=QueryRoundMetrics, logs_sha256=logs_sha256)
    split = split_histories(data_path, config, skip_bad=skip_bad)
    loaded = read_impressions(logs["impressions"], skip_bad=skip_bad)
    if loaded.problems:
        print(f"skipped {len(loaded.problems)} bad impressions of {logs['impressions']} "
              f"(first: {loaded.problems[0]})", file=sys.stderr)
    by_user = group_impressions_by_user(loaded.impressions)
    strangers = sorted(set(by_user) - set(split.train) - set(split.eval))
    if strangers:
        raise ValueError(f"{logs['impressions']} has impressions of {len(strangers)} users "
                         f"without typing history in {data_path} (first: {strangers[0]})")
    train = {user: by_user[user] for user in split.train if user in by_user}
    if config.clients_per_round > len(train):
        raise ValueError(f"--clients-per-round {config.clients_per_round} is more than the "
                         f"{len(train)} training users with impressions; lower it")
    searches = read_records(logs["searches"], skip_bad=skip_bad).records
    candidates = build_query_index((r.user_id, r.text, r.topic) for r in searches
                                   if r.user_id in split.train)
    availability = (build_availability(split.train, config.devices, seed=config.seed,
                                       users=train)
                    if config.devices.eligibility else None)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(RunDir(run_dir).config,
                      run_config_json(config.to_dict(), data_path, data_sha256,
                                      logs_sha256=logs_sha256))
    return QueryWorkspace(
        run_dir=run_dir, config=config, data_path=data_path, data_sha256=data_sha256,
        logs_sha256=logs_sha256, train_impressions=train,
        eval_impressions={user: by_user[user] for user in split.eval if user in by_user},
        candidates=candidates, resume_round=resume_round, availability=availability)
