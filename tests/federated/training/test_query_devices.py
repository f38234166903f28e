"""`python -m federated.train_queries --device-logs`: the keyboard's query chips as clients
(pure Python, fast; the rounds' priority rule is `RoundPlanner`'s, tested with it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.device_logs import DeviceStore
from data.device_queries import QueryClick, QueryImpression
from federated.train_queries import main
from federated.training.query_config import QueryTrainConfig
from federated.training.query_workspace import prepare_query_workspace
from tests.query_world import write_query_world

CONFIG = QueryTrainConfig(clients_per_round=2, seed=4, eval_fraction=0.25, buckets=256)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return write_query_world(tmp_path_factory.mktemp("world") / "h.jsonl", users=20, seed=5)


def log_chips(data_dir: Path, device: str, candidate: str, *, tapped: bool, count: int = 3,
              offset: int = 0) -> None:
    store = DeviceStore(data_dir)
    events = []
    for n in range(count):
        shown = f"{'t' if tapped else 'i'}{offset}-{n}"
        events.append(QueryImpression(shown, "q1", "some words", candidate, 2, 0.5, offset))
        if tapped:
            events.append(QueryClick(f"tap-{shown}", shown))
    store.device(device).record(events)
    store.close()


def a_candidate(world: Path, tmp_path: Path) -> str:
    workspace = prepare_query_workspace(world, tmp_path / "probe", CONFIG, resume=False,
                                        skip_bad=False)
    return workspace.candidates.candidates[0].text


def test_device_chips_are_training_clients_with_their_labels(world, tmp_path):
    candidate = a_candidate(world, tmp_path)
    log_chips(tmp_path / "devices", "me", candidate, tapped=True)
    log_chips(tmp_path / "devices", "me", candidate, tapped=False, count=2, offset=-240)

    workspace = prepare_query_workspace(world, tmp_path / "q", CONFIG, resume=False,
                                        skip_bad=False, device_logs=tmp_path / "devices")

    assert workspace.device_clients == ("me",)
    chips = workspace.train_impressions["me"]
    assert [chip.clicked for chip in chips] == [True] * 3 + [False] * 2
    assert chips[-1].timestamp.endswith("-04:00")


def test_an_unknown_candidate_is_refused_clearly_and_the_log_is_kept(world, tmp_path, capsys):
    log_chips(tmp_path / "devices", "me", "no such query anywhere", tapped=True)

    with pytest.raises(SystemExit):
        main(["--data", str(world), "--out", str(tmp_path / "q"), "--device-logs",
              str(tmp_path / "devices"), "--clients-per-round", "2"])

    assert "device me logged 3 chips of queries that are not candidates" in (
        capsys.readouterr().err)
    assert DeviceStore(tmp_path / "devices").device("me").stats().query_clicks == 3


def test_device_logs_and_differential_privacy_do_not_mix(world, tmp_path):
    from dataclasses import replace

    from federated.privacy.options import PrivacyConfig

    config = replace(CONFIG, privacy=PrivacyConfig(dp_noise_multiplier=0.5, dp_mechanism="tree"))
    with pytest.raises(ValueError, match="--device-logs devices are sampled first"):
        prepare_query_workspace(world, tmp_path / "q", config, resume=False, skip_bad=False,
                                device_logs=tmp_path)
