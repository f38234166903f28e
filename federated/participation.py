"""What the devices and the attackers did over a run: summary.json's `devices` and `attack`.

Pure Python: totals over the per-round rows of metrics.csv, so a resumed run reports the
whole run, not just its last invocation. Rows written before these columns existed count 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Optional

from federated.config import TrainConfig
from federated.history import RoundMetrics


def _total(values) -> int:
    return sum(value or 0 for value in values)


def devices_summary(config: TrainConfig, history: Sequence[RoundMetrics]) -> dict[str, Any]:
    """Eligibility and dropout settings, and how many devices were sampled, dropped, short.

    `eligible_shortfall` adds up, over the rounds with fewer eligible users than
    `clients_per_round`, how many were missing (those rounds took every eligible user).
    """
    short = [config.clients_per_round - row.eligible for row in history
             if row.eligible is not None and row.eligible < config.clients_per_round]
    return {
        "eligibility": config.devices.eligibility,
        "start_time": config.devices.start_time,
        "round_minutes": config.devices.round_minutes,
        "dropout_rate": config.devices.dropout_rate,
        "sampled": _total(row.sampled for row in history),
        "dropped": _total(row.dropped for row in history),
        "trained": _total(row.clients for row in history),
        "eligible_shortfall": sum(short),
        "rounds_short_of_eligible": len(short),
        "rounds_without_clients": sum(row.clients == 0 for row in history),
    }


def attack_summary(config: TrainConfig, malicious_clients: Sequence[str],
                   history: Sequence[RoundMetrics], *,
                   backdoor_success: Optional[tuple[float, float, int]] = None
                   ) -> dict[str, Any]:
    """The attack's settings, its clients, the updates the similarity filter left out (None
    with other aggregators), and the backdoor's success on the final model.

    Args:
        backdoor_success: `(top1, top3, contexts)`: how often the target was the first (among
            the three) suggestion(s) after the trigger, over that many contexts; backdoor
            attacks only.
    """
    attack = config.attack
    summary = {
        "attack": attack.attack,
        "malicious_fraction": attack.malicious_fraction,
        "malicious_clients": sorted(malicious_clients),
        "boost_factor": attack.boost_factor,
        "malicious_updates": _total(row.malicious for row in history),
        "left_out_updates": (_total(row.left_out for row in history)
                             if config.aggregator == "similarity-filter" else None),
        "backdoor": None,
    }
    if backdoor_success is not None:
        top1, top3, contexts = backdoor_success
        summary["backdoor"] = {"trigger": " ".join(attack.trigger_words),
                               "target": attack.target_word, "contexts": contexts,
                               "success_top1": top1, "success_top3": top3}
    return summary
