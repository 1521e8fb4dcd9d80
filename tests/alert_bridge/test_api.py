"""The alert bridge's public surface, pinned: a change must be deliberate."""

from __future__ import annotations

import alert_bridge
from alert_bridge import BridgeError, DeliveryError, RejectedError, StateStoreError

PUBLIC = [
    "FIRING",
    "PENDING",
    "RESOLVED",
    "AlertBridge",
    "AlertState",
    "AlertmanagerClient",
    "BridgeError",
    "BridgeReport",
    "DeliveryError",
    "Flap",
    "FlapCycle",
    "Flapping",
    "FlappingSettings",
    "RejectedError",
    "StateStore",
    "StateStoreError",
    "Step",
    "Timing",
    "alert",
    "annotations_of",
    "flapping_settings",
    "labels_of",
    "step",
]


def test_all_is_pinned() -> None:
    assert alert_bridge.__all__ == PUBLIC
    assert [name for name in PUBLIC if not hasattr(alert_bridge, name)] == []


def test_the_error_tree_is_as_documented() -> None:
    assert issubclass(RejectedError, DeliveryError)
    assert issubclass(DeliveryError, BridgeError) and issubclass(StateStoreError, BridgeError)
    assert str(DeliveryError("http://am:9093", "500 oops")) == "POST http://am:9093/api/v2/alerts: 500 oops"
