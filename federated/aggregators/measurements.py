"""Reading an aggregator's per-round measurements, wherever a chain nests them.

TFF's aggregators report measurements as nested mappings (clipping around zeroing around the
inner aggregator, each adding a level). The round loop reads the counts it records in
metrics.csv by name, through `find_measurement`, without knowing which aggregator ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Optional

# Clients whose update an aggregator left out of the round's result (e.g. the similarity
# filter's suspected colluders): metrics.csv's `left_out` column.
LEFT_OUT = "left_out"


def find_measurement(measurements: Any, name: str) -> Optional[int]:
    """The count measured under `name` at any depth of `measurements`; None if no aggregator of
    the chain measures it."""
    if not isinstance(measurements, Mapping):
        return None
    if name in measurements:
        return int(measurements[name])
    return next((count for count in (find_measurement(inner, name)
                                     for inner in measurements.values())
                 if count is not None), None)
