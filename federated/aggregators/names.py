"""The aggregators a run can choose (`--aggregator`): their names, what each does, and which
ones only need the sum of the client updates. The one table of them."""

from __future__ import annotations

from typing import NamedTuple

ROBUST = "robust"
MEAN = "mean"
MEDIAN = "median"
TRIMMED_MEAN = "trimmed-mean"
SIMILARITY_FILTER = "similarity-filter"



class Aggregator(NamedTuple):
    """What an aggregator does (for --help) and what it defends with (for reports)."""

    description: str
    defence: str


# By name, in the CLI's order.
AGGREGATORS: dict[str, Aggregator] = {
    ROBUST: Aggregator("adaptive norm clipping and zeroing of client updates around the "
                       "weighted mean (stable)", "norm clipping + zeroing"),
    MEAN: Aggregator("plain weighted mean", "none (plain mean)"),
    MEDIAN: Aggregator("coordinate-wise median, each client counts once",
                       "coordinate-wise median"),
    TRIMMED_MEAN: Aggregator("coordinate-wise trimmed mean, each client counts once",
                             "coordinate-wise trimmed mean"),
    SIMILARITY_FILTER: Aggregator("robust, leaving out clients whose updates are unusually "
                                  "alike (colluding attackers, e.g. a backdoor)",
                                  "norm clipping + zeroing + similarity filter"),
}
# Aggregators that only need the sum of the client updates: the ones secure aggregation,
# differential privacy and compression (a quantizing sum) combine with. The others need every
# update on the server.
SUM_AGGREGATORS = (ROBUST, MEAN)
# Aggregators that take a coordinate-wise statistic (they use --trim-fraction, --bucket-size).
COORDINATE_WISE = (MEDIAN, TRIMMED_MEAN)
