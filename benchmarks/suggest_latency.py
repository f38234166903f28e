"""How fast the keyboard suggests: over HTTP, under load, and the model call alone.

    python -m benchmarks.suggest_latency [--model RUN_DIR/model] [--requests N] [--clients C]

Starts `python -m keyboard_app` on a free loopback port (waitress, as served), then measures
`POST /api/suggest` with one client (p50/p99), the throughput of several concurrent clients,
and in this process the model call alone (`Suggester.suggest`, TFLite) against Keras
`model.predict` on the same contexts. Every text is a keystroke of a typed sentence.
Goals: p99 <= 15 ms with one client, >= 200 suggestions/s.
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

import numpy as np

SENTENCES = [
    "how to make sourdough bread at home",
    "see you at the game tonight",
    "can you pick up coffee on the way",
    "best ramen near me open late",
    "running late again sorry about that",
    "what time does the train leave tomorrow",
]
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
    """One keep-alive HTTP connection asking for suggestions."""

    def __init__(self, port: int):
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def suggest(self, text: str) -> list[str]:
        self._connection.request("POST", "/api/suggest", json.dumps({"text": text}),
                                 {"Content-Type": "application/json"})
        response = self._connection.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"/api/suggest answered {response.status}: {body[:200]!r}")
        return json.loads(body)["suggestions"]


def timings_ms(call: Callable[[str], object], texts: Sequence[str], count: int) -> np.ndarray:
    """Times `count` calls of `call`, cycling through `texts`."""
    seconds = np.empty(count)
    for index in range(count):
        text = texts[index % len(texts)]
        start = time.perf_counter()
        call(text)
        seconds[index] = time.perf_counter() - start
    return seconds * 1000


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


def model_timings(model: Path, texts: Sequence[str], count: int, predict_count: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Times `Suggester.suggest` (TFLite) and Keras `model.predict` on the same contexts."""
    from model.export import read_export_info
    from model.keras_io import load_keras_model
    from model.sequences import encode_context
    from model.serving import load_suggester
    from model.tokenizer import split_context
    from model.vocab import PAD_ID

    suggester = load_suggester(model)
    timings_ms(suggester.suggest, texts, 200)  # Warm up.
    tflite = timings_ms(suggester.suggest, texts, count)

    info = read_export_info(model)
    keras_model = load_keras_model(info)
    length = info.model_config.sequence_length

    def predict(text: str) -> np.ndarray:
        ids = encode_context(split_context(text)[0], suggester.vocab,
                             max_words=info.model_config.max_words)[-length:]
        padded = np.full((1, length), PAD_ID, dtype=np.int32)
        padded[0, : len(ids)] = ids
        return keras_model.predict(padded, verbose=0)[0, len(ids) - 1]

    timings_ms(predict, texts, 3)  # Warm up (builds the predict function).
    return tflite, timings_ms(predict, texts, predict_count)


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
            client = Client(port)
            timings_ms(client.suggest, texts, 200)  # Warm up every server thread.
            one_client = timings_ms(client.suggest, texts, args.requests)
            rate = throughput(port, texts, args.clients, args.requests // args.clients)
        finally:
            server.terminate()
            server.wait()
    tflite, keras = model_timings(args.model, texts, args.requests, args.predict_calls)

    p50, p99 = np.percentile(one_client, [50, 99])
    print(f"model: {args.model.resolve()}")
    print(f"POST /api/suggest, 1 client, {args.requests} requests: p50 {p50:.2f} ms, "
          f"p99 {p99:.2f} ms (goal <= {P99_GOAL_MS:.0f} ms: "
          f"{'met' if p99 <= P99_GOAL_MS else 'MISSED'})")
    print(f"throughput, {args.clients} concurrent clients ({args.threads} server threads): "
          f"{rate:.0f} suggestions/s (goal >= {THROUGHPUT_GOAL:.0f}: "
          f"{'met' if rate >= THROUGHPUT_GOAL else 'MISSED'})")
    print(f"model call alone (Suggester.suggest, TFLite): p50 {np.median(tflite):.3f} ms, "
          f"p99 {np.percentile(tflite, 99):.3f} ms")
    print(f"Keras model.predict per call: p50 {np.median(keras):.2f} ms, "
          f"p99 {np.percentile(keras, 99):.2f} ms")
    ratio = np.median(keras) / np.median(tflite)
    print(f"ratio Keras predict / TFLite suggest (p50): {ratio:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
