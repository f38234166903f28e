"""The app's configuration and the device picker's simulated users (fast: no TF)."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.records import TypingRecord, write_records
from keyboard_app.config import AppConfig
from keyboard_app.simulated_users import busiest_users


def test_the_own_device_comes_first_in_the_picker():
    config = AppConfig(Path("m"), Path("d"), simulated_users=("u1", "u2"))

    assert config.devices == ("me", "u1", "u2")


@pytest.mark.parametrize(("users", "reload_seconds", "message"), [
    (("U1",), 2.0, "invalid device id"),
    (("me",), 2.0, "own device"),
    ((), 0.0, "reload_check_seconds must be > 0"),
])
def test_bad_configs_are_refused(users, reload_seconds, message):
    with pytest.raises(ValueError, match=message):
        AppConfig(Path("m"), Path("d"), simulated_users=users,
                  reload_check_seconds=reload_seconds)


def test_the_busiest_users_with_valid_device_ids_are_offered(tiny_world, tmp_path):
    path = tmp_path / "histories.jsonl"
    tiny_world["Not/Valid"] = ["x"] * 9
    write_records(path, [TypingRecord(user, text)
                         for user, texts in tiny_world.items() for text in texts])

    assert busiest_users(path, 2) == ("u1", "u2")
    assert busiest_users(path, 1) == ("u1",)


@pytest.mark.parametrize("hosts", [(), ("Localhost",), ("[::1]",), ("localhost:8000",), ("",),
                                   ("0:0:0:0:0:0:0:1",), (" localhost",)])
def test_allowed_hosts_must_be_lower_case_names_without_port(hosts):
    with pytest.raises(ValueError, match="allowed host"):
        AppConfig(Path("m"), Path("d"), allowed_hosts=hosts)
