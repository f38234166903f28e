"""Personalization in the keyboard, with the Flask test client on a tiny real export
(TensorFlow fine-tunes and converts each personal model: slow)."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import time
from pathlib import Path

import pytest

from keyboard_app.api import CSRF_HEADER
from keyboard_app.app import create_app
from model.export import read_export_info
from tests.conftest import TINY_VOCAB_WORDS

pytestmark = pytest.mark.slow

HEADERS = {CSRF_HEADER: "1"}
# "zanzibar" is out of the tiny vocabulary: only the device's word cache can suggest it.
OWN_MESSAGES = ["how to make bread", "map of zanzibar", "how to make zanzibar bread",
                "many zanzibar maps", "how to map zanzibar"]


@pytest.fixture
def personal_config(app_config):
    from model.personalization import PersonalizationConfig

    return dataclasses.replace(app_config, personalization=PersonalizationConfig(
        epochs=1, batch_size=4, min_messages=len(OWN_MESSAGES)))


@pytest.fixture
def client(personal_config):
    client = create_app(personal_config).test_client()
    client.get("/")  # The own device's cookie, as the page sets it.
    return client


def send_messages(client, texts, prefix="m"):
    events = [{"type": "message", "id": f"{prefix}{index}", "text": text}
              for index, text in enumerate(texts)]
    response = client.post("/api/events", json={"events": events}, headers=HEADERS)
    assert response.status_code == 200


def panel_when_idle(client, seconds: float = 60) -> dict:
    """The device's panel once no personalization job is queued or running."""
    deadline = time.monotonic() + seconds
    while True:
        panel = client.get("/api/device").json
        if panel["personal"]["job"] == "idle" or time.monotonic() > deadline:
            return panel
        time.sleep(0.1)


def suggestions(client, text: str) -> list[str]:
    return client.post("/api/suggest", json={"text": text}).json["suggestions"]


def test_enough_messages_personalize_the_device_which_alone_gets_its_model_and_words(
        client, personal_config):
    global_version = read_export_info(personal_config.model_path).version
    assert client.get("/api/device").json["personal"]["serving"] == "global"
    assert "zanzibar" not in suggestions(client, "how to make z")

    send_messages(client, OWN_MESSAGES)  # min_messages: personalizes on its own.
    panel = panel_when_idle(client)

    personal = panel["personal"]
    assert personal["serving"] == "personal" and personal["problem"] is None
    assert personal["built_from"] == global_version
    assert personal["trained_messages"] == len(OWN_MESSAGES) - 1  # The newest is held out.
    recall = personal["recall"]
    assert recall["messages"] == 1 and recall["words"] == 3  # "map zanzibar <eos>" after "how".
    assert 0 <= recall["global"] <= 1 and 0 <= recall["personal"] <= 1
    assert personal["personal_words"] == 3  # "of", "zanzibar", "maps"
    assert panel["model_version"].startswith("p0005-")
    answer = client.post("/api/suggest", json={"text": "how to make z"}).json
    assert answer["suggestions"] == ["zanzibar"]
    assert answer["model_version"] == panel["model_version"]

    device_dir = personal_config.data_dir / "me"
    info = read_export_info(device_dir / "personal" / "model")
    assert info.metadata["global_version"] == global_version
    assert info.metadata["messages"] == len(OWN_MESSAGES)
    assert "zanzibar" in json.loads((device_dir / "word_cache.json").read_text())["words"]

    client.post("/api/device", json={"device": "u1"}, headers=HEADERS)
    other = client.get("/api/device").json
    assert other["personal"]["serving"] == "global" and other["personal"]["personal_words"] == 0
    assert other["model_version"] == global_version
    assert "zanzibar" not in suggestions(client, "how to make z")
    assert not (personal_config.data_dir / "u1" / "personal").exists()


def test_personalize_fine_tunes_on_fewer_messages_and_needs_one(client):
    response = client.post("/api/personalize", json={}, headers=HEADERS)
    assert response.status_code == 409 and "no messages" in response.json["error"]

    send_messages(client, OWN_MESSAGES[:2])
    response = client.post("/api/personalize", json={}, headers=HEADERS)

    assert response.status_code == 200
    assert response.json["personal"]["job"] in ("queued", "running")
    personal = panel_when_idle(client)["personal"]
    assert personal["serving"] == "personal" and personal["trained_messages"] == 2
    assert personal["recall"] is None  # Too few messages to hold any out.


def test_a_new_global_version_is_personalized_again(client, personal_config):
    send_messages(client, OWN_MESSAGES)
    first = panel_when_idle(client)["personal"]["built_from"]
    exports = personal_config.model_path.parent / "exports"
    (new,) = (path.name for path in exports.iterdir() if path.name != first)

    point_model_at(personal_config.model_path, exports / new)
    deadline = time.monotonic() + 60
    while (client.get("/api/device").json["personal"]["built_from"] != new
           and time.monotonic() < deadline):
        time.sleep(0.1)

    assert panel_when_idle(client)["personal"]["built_from"] == new
    assert suggestions(client, "how to make z") == ["zanzibar"]


def test_a_damaged_personal_model_falls_back_to_the_global_one_and_is_rebuilt(personal_config):
    client = create_app(personal_config).test_client()
    client.get("/")
    send_messages(client, OWN_MESSAGES)
    panel_when_idle(client)
    tflite = personal_config.data_dir / "me" / "personal" / "model" / "model.tflite"
    tflite.write_bytes(b"not a model")

    restarted = create_app(personal_config).test_client()  # Loads the device's files again.
    restarted.get("/")
    panel = restarted.get("/api/device").json

    assert panel["personal"]["serving"] == "global"
    assert "the personal model is damaged" in panel["personal"]["problem"]
    assert panel["model_version"] == read_export_info(personal_config.model_path).version
    assert panel["stats"]["messages"] == len(OWN_MESSAGES)  # The log is intact.
    assert "zanzibar" not in suggestions(restarted, "how to make z")
    personal = panel_when_idle(restarted)["personal"]  # Rebuilt in the background.
    assert personal["serving"] == "personal" and personal["problem"] is None
    assert suggestions(restarted, "how to make z") == ["zanzibar"]


def test_a_personal_model_of_an_older_vocabulary_is_set_aside_and_rebuilt(
        client, personal_config):
    from model.export import write_export
    from model.keras_io import weights_by_name
    from model.network import build_model
    from model.serving import to_tflite
    from model.vocab import Vocabulary

    send_messages(client, OWN_MESSAGES)
    old = panel_when_idle(client)["personal"]["built_from"]
    vocab = Vocabulary([*TINY_VOCAB_WORDS, "paris"])  # A new word: every id after it moves.
    config = dataclasses.replace(read_export_info(personal_config.model_path).model_config,
                                 vocab_size=vocab.size)
    model = build_model(config, seed=3)
    new = write_export(personal_config.model_path.parent, model_config=config, vocab=vocab,
                       weights=weights_by_name(model), tflite_model=to_tflite(model, config),
                       label="r0003").version
    deadline = time.monotonic() + 10
    panel = client.get("/api/device").json
    while panel["personal"]["problem"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
        panel = client.get("/api/device").json

    assert f"built on an older vocabulary (from global model {old})" in \
        panel["personal"]["problem"]
    assert panel["personal"]["serving"] == "global" and panel["model_version"] == new
    personal = panel_when_idle(client)["personal"]
    assert personal["serving"] == "personal" and personal["built_from"] == new
    assert personal["problem"] is None
    log = personal_config.data_dir / "me.sqlite3"
    with sqlite3.connect(log) as connection:
        assert connection.execute("SELECT COUNT(*) FROM messages").fetchone() == (5,)


def point_model_at(model_path: Path, directory: Path) -> None:
    temporary = model_path.with_name(".model.tmp")
    temporary.symlink_to(directory)
    os.replace(temporary, model_path)
