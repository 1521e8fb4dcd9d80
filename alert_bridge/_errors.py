"""What can go wrong between the bridge and Alertmanager, or with its state file.

::

    BridgeError
     ├── DeliveryError        a POST to one Alertmanager failed (after its retries)
     │    └── RejectedError   Alertmanager answered 400/422: the alerts are invalid, resending won't help
     └── StateStoreError      the state table in the store file cannot be read or written
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of the alert bridge's errors."""


class DeliveryError(BridgeError):
    """Alerts did not reach one Alertmanager; they are sent again on the next cycle."""

    def __init__(self, url: str, message: str, status: int | None = None) -> None:
        super().__init__(f"POST {url}/api/v2/alerts: {message}")
        self.url = url
        self.status = status


class RejectedError(DeliveryError):
    """Alertmanager refused the alerts as invalid (400 or 422); they are not sent again."""


class StateStoreError(BridgeError):
    """The bridge's state table (``alert_states`` in the store file) is unusable."""
