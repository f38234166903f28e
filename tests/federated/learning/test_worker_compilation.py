"""A computation is compiled for the TFF worker once per `tff_worker` block: while the worker
started here boots when asked to (`precompile`), and never again for a fresh worker. Real TFF
worker. Marked slow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow_federated")

import tensorflow_federated as tff  # noqa: E402

from federated.learning import worker as worker_module  # noqa: E402
from federated.learning.options import RuntimeConfig  # noqa: E402
from federated.learning.worker import tff_worker  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture
def add_one() -> tff.Computation:
    @tff.tensorflow.computation(np.int32)
    def add(value):
        return value + 1

    return add


@pytest.fixture
def events(monkeypatch) -> list:
    """What happened, in order: each computation TFF's lowering ran on, and "connect" when
    the trainer starts waiting for a worker to answer."""
    happened = []
    lower, connect = tff.backends.native.desugar_and_transform_to_native, worker_module.connect

    def counted_lowering(computation):
        happened.append(computation)
        return lower(computation)

    def counted_connect(*args, **kwargs):
        happened.append("connect")
        return connect(*args, **kwargs)

    monkeypatch.setattr(tff.backends.native, "desugar_and_transform_to_native", counted_lowering)
    monkeypatch.setattr(worker_module, "connect", counted_connect)
    return happened


def test_a_precompiled_computation_is_compiled_while_the_worker_boots_and_never_again(
        add_one, events):
    with tff_worker(precompile=[add_one]):
        assert len(events) == 2 and events[1] == "connect"  # Compiled, then waited for.
        assert add_one(1) == 2
    assert len(events) == 2


def test_a_fresh_worker_runs_the_computation_compiled_for_the_first(add_one, events):
    with tff_worker(RuntimeConfig(restart_worker_every=1)) as workers:
        first = workers.process
        assert add_one(1) == 2
        workers.after_round(1)
        assert workers.process.pid != first.pid
        assert add_one(2) == 3
    assert [event == "connect" for event in events] == [True, False, True]


def test_precompile_takes_computations_only():
    with pytest.raises(TypeError, match="precompile takes TFF computations"), \
            tff_worker(precompile=[lambda value: value + 1]):
        pass
