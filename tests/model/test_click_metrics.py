"""AUC, log loss and CTR at a share kept, on inputs small enough to check by hand."""

from __future__ import annotations

import math

import pytest

from model.click_metrics import auc, ctr_at_share_kept, lift_at_share_kept, log_loss


def test_auc_counts_correctly_ordered_pairs():
    # Pairs (clicked, unclicked): (0.9, 0.1) yes, (0.9, 0.8) yes, (0.4, 0.1) yes, (0.4, 0.8) no.
    assert auc([1, 0, 1, 0], [0.9, 0.1, 0.4, 0.8]) == pytest.approx(0.75)


def test_auc_counts_ties_as_half():
    assert auc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5]) == pytest.approx(0.5)
    assert auc([1, 0, 0], [0.7, 0.7, 0.1]) == pytest.approx(0.75)


def test_auc_needs_both_classes():
    with pytest.raises(ValueError, match="both clicked and unclicked"):
        auc([1, 1], [0.2, 0.3])


def test_log_loss_is_the_mean_negative_log_likelihood():
    expected = -(math.log(0.8) + math.log(0.75)) / 2

    assert log_loss([1, 0], [0.8, 0.25]) == pytest.approx(expected)


def test_log_loss_of_a_certain_mistake_is_large_but_finite():
    assert 27 < log_loss([1], [0.0]) < 28


def test_ctr_at_half_keeps_the_best_scored_half():
    labels = [1, 0, 0, 1, 0, 0]
    scores = [0.9, 0.8, 0.1, 0.7, 0.2, 0.3]

    # The best three: 0.9 (tap), 0.8, 0.7 (tap).
    assert ctr_at_share_kept(labels, scores, 0.5) == pytest.approx(2 / 3)


def test_ctr_at_share_kept_counts_ties_at_the_cut_by_their_expected_value():
    # One of the two tied at 0.5 is kept: half a tap on average.
    assert ctr_at_share_kept([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.1], 0.5) == pytest.approx(0.75)
    # Keeping 1.5 of 4 takes the top one and half of the next.
    assert ctr_at_share_kept([1, 0, 1, 0], [4, 3, 2, 1], 0.375) == pytest.approx(1 / 1.5)


def test_show_always_keeps_the_overall_ctr_at_every_share():
    labels = [1, 0, 0, 0, 1, 0, 0]

    for share in (0.1, 0.5, 1.0):
        assert ctr_at_share_kept(labels, [0.0] * 7, share) == pytest.approx(2 / 7)
    assert lift_at_share_kept(labels, [0.0] * 7, 0.5) == pytest.approx(1.0)


def test_bad_inputs_are_refused_with_a_reason():
    with pytest.raises(ValueError, match="one score per label"):
        ctr_at_share_kept([1, 0], [0.1], 0.5)
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\]"):
        ctr_at_share_kept([1, 0], [0.1, 0.2], 0.0)
    with pytest.raises(ValueError, match="labels must be 0/1"):
        auc([2, 0], [0.1, 0.2])
