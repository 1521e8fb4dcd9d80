"""An alert history and the metrics behind it, with known hints.

"Segment cache usage" (warning above 85 %, per historical): ten problems with first values
86, 87 ... 95 % that healed after 2 minutes, one at 94 % that lasted 30 minutes and fired.
Cutting 80 % of the healed ones takes a warning of 93. "Unavailable segments" (warning
above 0): four 7-minute problems, each 10 minutes after the last resolved, all fired: bursts;
a 7 minute pending time would have kept every one of them from firing.
"""

from __future__ import annotations

from khp.configuration import Config
from khp.history import HistoryEvent, open_history

from .helpers import CLUSTER, START, plant_values

CACHE = "Segment cache usage"
SEGMENTS = "Unavailable segments"
CACHE_PATH = "druid/historical/segment.usedPercent"
SEGMENTS_PATH = "druid/coordinator/segment.unavailable.count"
HOST = f"{CLUSTER}-historical1"
UNTIL = START + 15 * 3600

HEALED = [START + 3600 * (k + 1) for k in range(10)]  # values 86 + k, 2 minutes each
FIRED = START + 11 * 3600  # value 94 for 30 minutes
BURSTS = [START + 13 * 3600 + j * 17 * 60 for j in range(4)]  # value 5 for 7 minutes each


def labels(check: str, host: str = "") -> dict[str, str]:
    return {"alertname": check, "monitor": "DruidMonitor", "cluster": CLUSTER, "host": host, "severity": "warning"}


def events() -> list[HistoryEvent]:
    found: list[HistoryEvent] = []
    cache = labels(CACHE, HOST)
    for k, at in enumerate(HEALED):
        found.append(HistoryEvent.for_labels(at, "detected", cache, value=86.0 + k, threshold=85.0))
        found.append(HistoryEvent.for_labels(at + 120, "healed", cache, value=86.0 + k, threshold=85.0))
    found.append(HistoryEvent.for_labels(FIRED, "detected", cache, value=94.0, threshold=85.0))
    found.append(HistoryEvent.for_labels(FIRED + 300, "fired", cache, value=94.0, threshold=85.0))
    found.append(HistoryEvent.for_labels(FIRED + 1800, "resolved", cache, value=94.0, threshold=85.0))
    segments = labels(SEGMENTS)
    for at in BURSTS:
        found.append(HistoryEvent.for_labels(at, "detected", segments, value=5.0, threshold=0.0))
        found.append(HistoryEvent.for_labels(at + 300, "fired", segments, value=5.0, threshold=0.0))
        found.append(HistoryEvent.for_labels(at + 420, "resolved", segments, value=5.0, threshold=0.0))
    return found


def plant(config: Config) -> None:
    """The history into the configured (embedded) history, the metrics into the store."""
    with open_history(config) as history:
        history.record(events())
    cache: dict[float, float] = {}
    for k, at in enumerate(HEALED):
        cache.update({at: 86.0 + k, at + 60: 86.0 + k})
    cache.update({FIRED + 60 * m: 94.0 for m in range(30)})
    plant_values(config, CACHE_PATH, cache, START, UNTIL, base=50.0)
    segments = {at + 60 * m: 5.0 for at in BURSTS for m in range(7)}
    plant_values(config, SEGMENTS_PATH, segments, START, UNTIL, base=0.0)
