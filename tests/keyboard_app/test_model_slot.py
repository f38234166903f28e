"""Hot reload of the served model, with fake exports and a fake loader (fast: no TF)."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from keyboard_app.model_slot import ModelSlot
from model.config import ModelConfig
from model.export import CONFIG_FILE, EXPORT_FORMAT, TFLITE_FILE, VOCAB_FILE, WEIGHTS_FILE


@dataclasses.dataclass
class FakeSuggester:
    version: str


def fake_export(run_dir: Path, version: str, *, complete: bool = True) -> Path:
    """Writes an export directory `read_export_info` accepts (empty model files)."""
    directory = run_dir / "exports" / version
    directory.mkdir(parents=True)
    for name in (VOCAB_FILE, WEIGHTS_FILE) + ((TFLITE_FILE,) if complete else ()):
        (directory / name).write_bytes(b"")
    model = dataclasses.asdict(ModelConfig(vocab_size=10, embedding_dim=2, lstm_units=2,
                                           max_words=3))
    (directory / CONFIG_FILE).write_text(json.dumps(
        {"format": EXPORT_FORMAT, "version": version, "model": model}))
    return directory


def point_model_at(run_dir: Path, version: str) -> None:
    temporary = run_dir / ".model.tmp"
    temporary.symlink_to(Path("exports") / version)
    os.replace(temporary, run_dir / "model")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def run_dir(tmp_path):
    fake_export(tmp_path, "r0001")
    point_model_at(tmp_path, "r0001")
    return tmp_path


def loader(calls: list[Path], fail_for: str = ""):
    def load(directory: Path) -> FakeSuggester:
        calls.append(directory)
        if directory.name == fail_for:
            raise RuntimeError("corrupt model.tflite")
        return FakeSuggester(directory.name)
    return load


def test_loads_the_export_behind_the_symlink_once(run_dir):
    calls = []
    slot = ModelSlot(run_dir / "model", loader(calls))

    assert slot.current.version == "r0001"
    assert slot.reload_if_changed() is False
    assert calls == [run_dir / "exports" / "r0001"]


def test_a_new_version_is_swapped_in(run_dir):
    slot = ModelSlot(run_dir / "model", loader([]))
    in_flight = slot.current
    fake_export(run_dir, "r0002")
    point_model_at(run_dir, "r0002")

    assert slot.reload_if_changed() is True
    assert slot.current.version == "r0002"
    assert in_flight.version == "r0001"  # A request holding the old model keeps it.


@pytest.mark.parametrize("broken", ["incomplete", "unloadable"])
def test_a_broken_export_is_refused_once_in_the_log_and_the_old_model_serves(
        run_dir, caplog, broken):
    slot = ModelSlot(run_dir / "model", loader([], fail_for="r0002"))
    fake_export(run_dir, "r0002", complete=broken != "incomplete")
    point_model_at(run_dir, "r0002")

    with caplog.at_level(logging.WARNING):
        assert slot.reload_if_changed() is False
        assert slot.reload_if_changed() is False

    assert slot.current.version == "r0001"
    assert len(caplog.records) == 1
    expected = "model.tflite is missing" if broken == "incomplete" else "corrupt model.tflite"
    assert "still serving r0001" in caplog.text and expected in caplog.text


def test_a_fixed_export_is_taken_after_a_refusal(run_dir):
    slot = ModelSlot(run_dir / "model", loader([]))
    directory = fake_export(run_dir, "r0002", complete=False)
    point_model_at(run_dir, "r0002")
    assert slot.reload_if_changed() is False

    (directory / TFLITE_FILE).write_bytes(b"")

    assert slot.reload_if_changed() is True
    assert slot.current.version == "r0002"


def test_reads_check_in_the_background_at_most_once_per_interval(run_dir):
    calls, clock, loading = [], Clock(), threading.Event()
    load = loader(calls)

    def slow_load(directory: Path) -> FakeSuggester:
        if calls:  # The reload (not the first load) waits until the test lets it go on.
            loading.wait(timeout=5)
        return load(directory)

    slot = ModelSlot(run_dir / "model", slow_load, check_seconds=2.0, clock=clock)
    fake_export(run_dir, "r0002")
    point_model_at(run_dir, "r0002")

    clock.now = 1.9
    assert slot.current.version == "r0001"
    time.sleep(0.1)
    assert len(calls) == 1  # Too early: no check started.

    clock.now = 2.0
    assert slot.current.version == "r0001"  # Returns at once while the new model loads.
    assert slot.current.version == "r0001"  # Within the interval: no second check.
    loading.set()
    deadline = time.monotonic() + 5
    while slot.current.version != "r0002" and time.monotonic() < deadline:
        time.sleep(0.01)

    assert slot.current.version == "r0002"
    assert len(calls) == 2
