"""The interpolation's weight sweep scores each weight as its own mixture would (TF: slow)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from federated.evaluation.interpolation import weight_sweep  # noqa: E402
from federated.evaluation.scoring import score  # noqa: E402
from model.interpolation import interpolate  # noqa: E402
from model.vocab import BOS_ID, EOS_ID  # noqa: E402
from tests.model.test_interpolation import A, B, C, network_fn, ngram_fn  # noqa: E402

pytestmark = pytest.mark.slow


def test_the_sweep_scores_each_weight_as_its_own_mixture_would():
    # One message "A B C": scored targets B (after A) and C (after B), then EOS (unscored).
    inputs = np.array([[BOS_ID, A, B, C]], dtype=np.int32)
    targets = np.array([[A, B, C, EOS_ID]], dtype=np.int32)

    sweep = weight_sweep(network_fn, ngram_fn, [0.0, 0.3, 0.9, 1.0], inputs, targets)

    # After A and after B the mixture's top-1 is B when 0.4 w + 0.5 (1 - w) > 0.6 w +
    # 0.05 (1 - w), i.e. w < 0.69, and A above that: so the target B is hit, C never.
    assert [sweep[w].top1_recall for w in (0.0, 0.3, 0.9, 1.0)] == [0.5, 0.5, 0.0, 0.0]
    for weight, scores in sweep.items():
        assert scores == score(
            lambda batch, w=weight: interpolate(network_fn(batch), ngram_fn(batch), w),
            inputs, targets)
    assert sweep[1.0] == score(network_fn, inputs, targets)
