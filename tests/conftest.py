"""Shared fixtures: a tiny world of 3 users and 20 words."""

from __future__ import annotations

import pytest

# Three users, twenty distinct words. "coffee" is typed by all three users; "again" and
# "ramen" by two; "lasagna" by one user, three times.
TINY_WORLD = {
    "u1": ["Coffee at 7?", "best ramen near me", "making lasagna tonight",
           "lasagna again", "best lasagna"],
    "u2": ["coffee later", "ramen for lunch", "see you soon"],
    "u3": ["no coffee today", "late again!"],
}


@pytest.fixture
def tiny_world() -> dict[str, list[str]]:
    return {user: list(texts) for user, texts in TINY_WORLD.items()}


# --- The keyboard app: a tiny real model export, its config, a real waitress server. ---

TINY_VOCAB_WORDS = ["how", "to", "make", "bread", "map", "many"]
# The tiny query export's candidates: "bread recipe" and "map of paris" are shown whenever
# proposed (score 0.5, threshold 0.4); "many cats" never (its own weight pulls it to ~0).
TINY_QUERIES = {"bread recipe": 0.0, "map of paris": 0.0, "many cats": -10.0}
TINY_QUERY_THRESHOLD = 0.4


def write_tiny_queries(directory):
    """Writes a query-suggestion export of `TINY_QUERIES` into `directory` (no TF); returns
    the path of its `model` link."""
    import numpy as np

    from model.query_candidates import QueryCandidate, QueryIndex
    from model.triggering import TriggeringConfig, TriggeringModel, feature_bucket
    from model.triggering_export import write_triggering_export

    config = TriggeringConfig(buckets=2**10)
    weights = np.zeros(config.buckets)
    for query, weight in TINY_QUERIES.items():
        weights[feature_bucket(f"qq:{query}", config.buckets)] += weight
    index = QueryIndex([QueryCandidate(query, 3) for query in TINY_QUERIES], stop_share=1.0)
    write_triggering_export(directory, TriggeringModel(config, weights, 0.0), index,
                            threshold=TINY_QUERY_THRESHOLD, keep_share=0.5, label="q0001",
                            metadata={})
    return directory / "model"


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run directory with two real 6-word exports (TFLite included), built once (needs TF).

    `model` points at the first version (label r0001); the second (r0002) is there to switch to.
    """
    from model.config import ModelConfig
    from model.export import write_export
    from model.keras_io import weights_by_name
    from model.network import build_model
    from model.serving import to_tflite
    from model.vocab import Vocabulary

    run_dir = tmp_path_factory.mktemp("tiny_run")
    vocab = Vocabulary(TINY_VOCAB_WORDS)
    config = ModelConfig(vocab_size=vocab.size, embedding_dim=8, lstm_units=12, max_words=6)
    for seed, label in ((2, "r0002"), (1, "r0001")):  # The last export written is served.
        model = build_model(config, seed=seed)
        write_export(run_dir, model_config=config, vocab=vocab, weights=weights_by_name(model),
                     tflite_model=to_tflite(model, config), label=label)
    return run_dir


@pytest.fixture
def app_config(tiny_run, tmp_path):
    """An app config on this test's own copy of the tiny run and an empty data directory."""
    import shutil

    from keyboard_app.config import AppConfig

    run_dir = shutil.copytree(tiny_run, tmp_path / "run", symlinks=True)
    return AppConfig(model_path=run_dir / "model", data_dir=tmp_path / "devices",
                     simulated_users=("u1", "u2"), reload_check_seconds=0.05,
                     queries_path=write_tiny_queries(run_dir / "queries"))


@pytest.fixture
def live_server():
    """Serves apps with waitress on free loopback ports, in threads: `start(app) -> base URL`."""
    import threading

    import waitress

    servers = []

    def start(app, threads: int = 4) -> str:
        server = waitress.create_server(app, host="127.0.0.1", port=0, threads=threads)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.effective_port}"

    yield start
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)


# --- The keyboard app without TensorFlow: a real export whose network is numpy. ---

def load_numpy_suggester(directory):
    """Loads an export's vocabulary and version with a fixed numpy network in place of its
    TFLite model: everything the app does around the model, without importing TensorFlow."""
    import numpy as np

    from model.export import VOCAB_FILE, read_export_info
    from model.suggest import Suggester
    from model.vocab import Vocabulary

    info = read_export_info(directory)
    vocab = Vocabulary.load(info.directory / VOCAB_FILE)
    base = np.linspace(1.0, 0.0, vocab.size, dtype=np.float32)

    def scorer(context_ids):  # The next word depends on the last one, deterministically.
        return np.roll(base, int(context_ids[-1]) if len(context_ids) else 0)

    return Suggester(vocab, scorer, max_words=info.model_config.max_words,
                     version=info.version)


@pytest.fixture
def fast_app_config(tmp_path):
    """An app config on a tiny export and a tiny query export written without TF, and an
    empty data directory."""
    import numpy as np

    from keyboard_app.config import AppConfig
    from model.config import ModelConfig
    from model.export import write_export
    from model.vocab import Vocabulary

    vocab = Vocabulary(TINY_VOCAB_WORDS)
    config = ModelConfig(vocab_size=vocab.size, embedding_dim=2, lstm_units=2, max_words=6)
    write_export(tmp_path / "run", model_config=config, vocab=vocab,
                 weights={"w": np.zeros(1)}, tflite_model=b"", label="r0001")
    return AppConfig(model_path=tmp_path / "run" / "model", data_dir=tmp_path / "devices",
                     simulated_users=("u1", "u2"),
                     queries_path=write_tiny_queries(tmp_path / "run" / "queries"))


@pytest.fixture
def fast_app(fast_app_config):
    """The keyboard app on `fast_app_config`, suggesting with `load_numpy_suggester`."""
    from keyboard_app.app import create_app

    return create_app(fast_app_config, load_model=load_numpy_suggester)
