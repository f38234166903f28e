"""Messages to next-word examples, and serving contexts that match them."""

from __future__ import annotations

import numpy as np

from model.sequences import encode_context, encode_message, to_examples
from model.vocab import BOS_ID, EOS_ID, OOV_ID, PAD_ID, Vocabulary

VOCAB = Vocabulary(["see", "you", "at", "7"])
SEE, YOU, AT, SEVEN = 4, 5, 6, 7


def test_encode_message_adds_bos_and_eos_and_maps_oov():
    assert encode_message("See you at noon", VOCAB, max_words=10) == [
        BOS_ID, SEE, YOU, AT, OOV_ID, EOS_ID]


def test_truncated_message_gets_no_eos():
    assert encode_message("see you at 7", VOCAB, max_words=2) == [BOS_ID, SEE, YOU]


def test_to_examples_shifts_targets_and_pads():
    inputs, targets = to_examples(["see you", "at 7 see you", "?!"], VOCAB, max_words=3)

    # The second message is cut after 3 words: its last kept word is only a target.
    np.testing.assert_array_equal(inputs, [[BOS_ID, SEE, YOU, PAD_ID],
                                           [BOS_ID, AT, SEVEN, PAD_ID]])
    np.testing.assert_array_equal(targets, [[SEE, YOU, EOS_ID, PAD_ID],
                                            [AT, SEVEN, SEE, PAD_ID]])
    assert inputs.dtype == targets.dtype == np.int32


def test_context_matches_what_training_saw():
    inputs, _ = to_examples(["see you at 7"], VOCAB, max_words=5)

    # Predicting the word after "see you" reads the same prefix the training row holds.
    assert encode_context(["see", "you"], VOCAB, max_words=5) == list(inputs[0, :3])


def test_long_context_keeps_the_last_words():
    assert encode_context(["see", "you", "at", "7"], VOCAB, max_words=3) == [YOU, AT, SEVEN]
