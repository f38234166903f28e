"""Live metrics from device logs: impression recall and click-through rate (pure Python)."""

from __future__ import annotations

from data.device_logs import Click, DeviceStore, Impression, Message
from federated.evaluation.live_metrics import read_live_metrics


def ticking_clock():
    """2026-03-01T08:00:SS.000Z, one second later at every call."""
    state = {"second": 0}

    def clock() -> str:
        state["second"] += 1
        return f"2026-03-01T08:{state['second'] // 60:02d}:{state['second'] % 60:02d}.000Z"

    return clock


def strip(event_id: str, position: int, *words: str) -> Impression:
    return Impression(event_id=event_id, model_version="v1", position=position,
                      suggestions=words)


def test_impression_recall_uses_the_strip_shown_before_each_word(tmp_path):
    store = DeviceStore(tmp_path, clock=ticking_clock())
    phone = store.device("phone")
    # Typing "see you soon": strips at offsets 0 (first word, not scored), 4 ("you":
    # shown), 8 ("soon": shown twice, the last strip counts) and mid-word at 9 (a prefix
    # strip, ignored). Then "ok then": "then" got no strip at all (a miss).
    for event in [strip("i1", 0, "see", "i", "we"), strip("i2", 4, "you", "ya", "them"),
                  Click(event_id="c1", impression_id="i2", slot=1, word="you"),
                  strip("i3", 8, "later", "soon", "there"), strip("i4", 8, "later", "then", "x"),
                  strip("i5", 9, "soon", "so", "some"),
                  Message(event_id="m1", text="See you soon"),
                  Message(event_id="m2", text="ok then")]:
        phone.record([event])
    store.device("tablet").record([strip("t1", 0, "hi", "hey", "hello")])
    store.close()

    live = read_live_metrics(tmp_path)

    assert (live.devices, live.messages, live.impressions, live.clicks) == (2, 2, 6, 1)
    assert live.click_through_rate == 1 / 6
    assert live.scored_words == 3  # "you", "soon", "then"
    assert live.words_with_strip == 2
    assert live.impression_recall == 1 / 3  # Only "you" was in its strip.


def test_no_logs_means_no_recall(tmp_path):
    live = read_live_metrics(tmp_path)

    assert live.devices == 0 and live.impression_recall is None
    assert live.click_through_rate == 0.0
