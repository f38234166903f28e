"""How fast the keyboard suggests: over HTTP, under load, and the model call alone.

    python -m benchmarks.suggest_latency [--model RUN_DIR/model] [--requests N] [--clients C]

Starts `python -m keyboard_app` on a free loopback port (waitress, as served) and personalizes
its device "me" through the API (`PERSONAL_MESSAGES`, names and places out of the vocabulary
among them, then "Personalize"; the seconds until its personal model serves are printed). Then
measures `POST /api/suggest` with one client on the global model (no device cookie) and one on
the device's personal model (its TFLite model and word cache), their requests alternating
(p50/p99 of each), the throughput of several concurrent clients (global model), and in this
process the model call alone (`Suggester.suggest` as served: TFLite, interpolated with the
export's n-gram when it has one; the same network alone, for the n-gram's cost; and the
personal model's, with its word cache mixed in) against Keras `model.predict` on the same
contexts. Every text is a keystroke of a typed sentence.
Goals: p99 <= 15 ms with one client, on either model; >= 200 suggestions/s.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Optional

import numpy as np

from model.export import VOCAB_FILE, read_export_info  # Pure: no TensorFlow.

SENTENCES = [
    "how to make sourdough bread at home",
    "see you at the game tonight",
    "can you pick up coffee on the way",
    "best ramen near me open late",
    "running late again sorry about that",
    "what time does the train leave tomorrow",
]
# The personalized device's messages: the benchmark's sentences, and its own names and places.
PERSONAL_MESSAGES = [
    *SENTENCES,
    "dinner with priya at nandos tonight",
    "priya says the game starts at eight",
    "meet me at nandos after work",
    "call priya when you get to brixton",
    "the train to brixton is late again",
    "see you at nandos in brixton",
    "priya and tomasz are coming too",
    "tomasz has the tickets for the game",
]
PERSONALIZE_SECONDS = 600  # At most, on a busy machine.
P99_GOAL_MS = 15.0
THROUGHPUT_GOAL = 200.0


def keystrokes(sentences: Sequence[str]) -> list[str]:
    """Every prefix typed on the way to each sentence, as the app sees them."""
    return [sentence[:end] for sentence in sentences for end in range(1, len(sentence) + 1)]


def start_server(model: Path, data_dir: Path,
                 *server_args: str) -> tuple[subprocess.Popen, int]:
    """Runs the app as served (with `server_args`, e.g. "--threads", "4") and returns it with
    its port (read from the line it prints)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "keyboard_app", "--model", str(model), "--port", "0",
         "--data-dir", str(data_dir), "--simulated-users", "0", *server_args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in process.stdout:
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if found:
            return process, int(found.group(1))
    process.wait()
    raise RuntimeError(f"the keyboard app exited with {process.returncode} before serving")


class Client:
    """One keep-alive HTTP connection to the keyboard, as `device` (None: no device cookie,
    so the global model suggests)."""

    def __init__(self, port: int, device: Optional[str] = None):
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self._headers = {"Content-Type": "application/json", "X-Keyboard-Request": "1",
                         **({"Cookie": f"device={device}"} if device else {})}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        """The JSON answer of one request; RuntimeError unless it is a 200."""
        self._connection.request(method, path, None if body is None else json.dumps(body),
                                 self._headers)
        response = self._connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}: {answer[:200]!r}")
        return json.loads(answer)

    def suggest(self, text: str) -> list[str]:
        return self.call("POST", "/api/suggest", {"text": text})["suggestions"]


def personalize(client: Client, messages: Sequence[str]) -> tuple[float, str]:
    """Logs `messages` on the client's device and personalizes it; returns the seconds until
    its personal model served, and that model's version."""
    start = time.perf_counter()
    client.call("POST", "/api/events", {"events": [
        {"type": "message", "id": f"bench{index}", "text": text}
        for index, text in enumerate(messages)]})
    client.call("POST", "/api/personalize", {})
    while time.perf_counter() - start < PERSONALIZE_SECONDS:
        panel = client.call("GET", "/api/device")
        if panel["personal"]["job"] == "idle":
            if panel["personal"]["serving"] != "personal":
                raise RuntimeError(f"personalization failed: {panel['personal']['problem']}")
            return time.perf_counter() - start, panel["model_version"]
        time.sleep(0.2)
    raise RuntimeError(f"no personal model after {PERSONALIZE_SECONDS} s")


def timings_ms(call: Callable[[str], object], texts: Sequence[str], count: int) -> np.ndarray:
    """Times `count` calls of `call`, cycling through `texts`."""
    seconds = np.empty(count)
    for index in range(count):
        text = texts[index % len(texts)]
        start = time.perf_counter()
        call(text)
        seconds[index] = time.perf_counter() - start
    return seconds * 1000


def alternating_timings_ms(calls: Sequence[Callable[[str], object]], texts: Sequence[str],
                           count: int) -> list[np.ndarray]:
    """Times `count` rounds of every call on the same text, in turn (so both see the same
    machine load); one array of timings per call."""
    seconds = np.empty((count, len(calls)))
    for index in range(count):
        for which, call in enumerate(calls):
            start = time.perf_counter()
            call(texts[index % len(texts)])
            seconds[index, which] = time.perf_counter() - start
    return [seconds[:, which] * 1000 for which in range(len(calls))]


def throughput(port: int, texts: Sequence[str], clients: int, per_client: int) -> float:
    """Suggestions per second answered to `clients` concurrent clients."""
    connections = [Client(port) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)

    def run(client: Client, offset: int) -> None:
        barrier.wait()
        for index in range(per_client):
            client.suggest(texts[(offset + index) % len(texts)])

    threads = [threading.Thread(target=run, args=(client, 97 * number))
               for number, client in enumerate(connections)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return clients * per_client / (time.perf_counter() - start)


def model_timings(model: Path, device_dir: Path, texts: Sequence[str], count: int,
                  predict_count: int) -> dict[str, np.ndarray]:
    """Times `Suggester.suggest` as served (TFLite, interpolated with the export's n-gram when
    it has one), the same network alone, and the device's personal model as served (its TFLite
    model with its word cache mixed in), alternating, all without the context cache; then
    Keras `model.predict` on the same contexts."""
    from keyboard_app.personal import PersonalSuggester
    from model.keras_io import load_keras_model
    from model.personal_export import load_word_cache, read_personal_export
    from model.sequences import encode_context
    from model.serving import TFLiteScorer, load_suggester
    from model.suggest import Suggester
    from model.tokenizer import split_context
    from model.vocab import PAD_ID, Vocabulary

    info = read_export_info(model)
    suggester = load_suggester(model)
    network_alone = Suggester(Vocabulary.load(info.directory / VOCAB_FILE), TFLiteScorer(info),
                              max_words=info.model_config.max_words, version=info.version)
    personal = PersonalSuggester(
        load_suggester(read_personal_export(device_dir, suggester.vocab).directory),
        load_word_cache(device_dir, suggester.vocab))
    calls = [suggester.suggest, network_alone.suggest, personal.suggest]
    alternating_timings_ms(calls, texts, 200)  # Warm up.
    served, alone, personal_tflite = alternating_timings_ms(calls, texts, count)

    keras_model = load_keras_model(info)
    length = info.model_config.sequence_length

    def predict(text: str) -> np.ndarray:
        ids = encode_context(split_context(text)[0], suggester.vocab,
                             max_words=info.model_config.max_words)[-length:]
        padded = np.full((1, length), PAD_ID, dtype=np.int32)
        padded[0, : len(ids)] = ids
        return keras_model.predict(padded, verbose=0)[0, len(ids) - 1]

    timings_ms(predict, texts, 3)  # Warm up (builds the predict function).
    return {"served": served, "network alone": alone, "personal": personal_tflite,
            "keras": timings_ms(predict, texts, predict_count)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=Path("runs/demo/run/model"))
    parser.add_argument("--requests", type=int, default=2000,
                        help="requests of the one-client run, and per client under load")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients under load")
    parser.add_argument("--threads", type=int, default=4, help="the server's waitress threads")
    parser.add_argument("--predict-calls", type=int, default=100,
                        help="Keras model.predict calls to time (each takes tens of ms)")
    args = parser.parse_args(argv)
    texts = keystrokes(SENTENCES)

    with tempfile.TemporaryDirectory(prefix="keyboard-bench-") as data_dir:
        server, port = start_server(args.model, Path(data_dir), "--threads", str(args.threads))
        try:
            device = Client(port, device="me")
            personalize_seconds, personal_version = personalize(device, PERSONAL_MESSAGES)
            client = Client(port)
            timings_ms(client.suggest, texts, 200)  # Warm up every server thread.
            timings_ms(device.suggest, texts, 200)
            one_client, personal = alternating_timings_ms([client.suggest, device.suggest],
                                                          texts, args.requests)
            rate = throughput(port, texts, args.clients, args.requests // args.clients)
        finally:
            server.terminate()
            server.wait()
        calls = model_timings(args.model, Path(data_dir) / "me", texts, args.requests,
                              args.predict_calls)

    print(f"model: {args.model.resolve()}")
    print(f"device 'me' personalized on {len(PERSONAL_MESSAGES)} messages in "
          f"{personalize_seconds:.1f} s (log, fine-tune, TFLite, swap in): {personal_version}")
    for name, timings in (("global model", one_client), ("personal model", personal)):
        p50, p99 = np.percentile(timings, [50, 99])
        print(f"POST /api/suggest, 1 client, {args.requests} requests, {name}: "
              f"p50 {p50:.2f} ms, p99 {p99:.2f} ms (goal <= {P99_GOAL_MS:.0f} ms: "
              f"{'met' if p99 <= P99_GOAL_MS else 'MISSED'})")
    print(f"throughput, {args.clients} concurrent clients ({args.threads} server threads): "
          f"{rate:.0f} suggestions/s (goal >= {THROUGHPUT_GOAL:.0f}: "
          f"{'met' if rate >= THROUGHPUT_GOAL else 'MISSED'})")
    print(f"export's network weight {read_export_info(args.model).network_weight} (below 1: "
          "interpolated with its n-gram)")
    for name, label in (("served", "global model as served, Suggester.suggest"),
                        ("network alone", "global network alone"),
                        ("personal", "personal model + word cache")):
        print(f"model call alone ({label}, TFLite, alternating): "
              f"p50 {np.median(calls[name]):.3f} ms, "
              f"p99 {np.percentile(calls[name], 99):.3f} ms")
    print("ratio as served / network alone (p50): "
          f"{np.median(calls['served']) / np.median(calls['network alone']):.2f}")
    keras = calls["keras"]
    print(f"Keras model.predict per call: p50 {np.median(keras):.2f} ms, "
          f"p99 {np.percentile(keras, 99):.2f} ms")
    ratio = np.median(keras) / np.median(calls["served"])
    print(f"ratio Keras predict / TFLite suggest as served (p50): {ratio:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
