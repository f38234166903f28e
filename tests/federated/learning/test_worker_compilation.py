"""A computation is compiled for the TFF worker once per process: while the worker boots when
asked to (`precompile`), and never again for a fresh worker. Real TFF worker. Marked slow."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow_federated as tff  # noqa: E402

from federated.learning import worker as worker_module  # noqa: E402
from federated.learning.options import RuntimeConfig  # noqa: E402
from federated.learning.worker import tff_worker  # noqa: E402

pytestmark = pytest.mark.slow


@tff.tensorflow.computation(np.int32)
def add_one(value):
    return value + 1


@pytest.fixture
def lowered(monkeypatch) -> Iterator[list]:
    """The computations TFF's lowering is run on, in order, from an empty compile cache."""
    calls = []
    real = tff.backends.native.desugar_and_transform_to_native

    def counted(computation):
        calls.append(computation)
        return real(computation)

    worker_module._compile.cache_clear()
    monkeypatch.setattr(tff.backends.native, "desugar_and_transform_to_native", counted)
    yield calls
    worker_module._compile.cache_clear()


def test_a_precompiled_computation_is_compiled_while_the_worker_boots_and_never_again(
        lowered):
    with tff_worker(precompile=[add_one]):
        assert len(lowered) == 1  # Before anything has run.
        assert add_one(1) == 2
    assert len(lowered) == 1


def test_a_fresh_worker_runs_the_computation_compiled_for_the_first(lowered):
    with tff_worker(RuntimeConfig(restart_worker_every=1)) as workers:
        first = workers.process
        assert add_one(1) == 2
        workers.after_round(1)
        assert workers.process.pid != first.pid
        assert add_one(2) == 3
    assert len(lowered) == 1
