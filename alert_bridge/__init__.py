"""The alert bridge: problems in, Alertmanager alerts out, with Prometheus' semantics (DESIGN §5).

Each problem key goes pending -> firing -> resolved. It is sent only after it was present in
every cycle for its pending time; firing alerts are re-sent every ``alertmanager.resend_interval``
with ``endsAt = now + 4 * max(evaluation.interval, resend_interval)``; a problem that is gone is
sent with ``endsAt = now`` and repeated for ``alertmanager.resolved_resend``. Problems of failed
monitors keep their state. Every Alertmanager of ``alertmanager.urls`` gets every alert,
concurrently; the state lives in the store file (table ``alert_states``) and survives restarts::

    from alert_bridge import AlertBridge

    with AlertBridge(config) as bridge:
        report = bridge.process(evaluator.cycle())
        print(report.summary())

An alert that fires and resolves too often is *flapping* (``flapping:`` in ``khp.yml``;
``_flapping``): it is held firing under one notification until its problem is stable, Nagios
style; ``bridge.flapping`` holds which alerts flap and what the last cycle did about it.

Errors (``BridgeError`` -> ``DeliveryError`` -> ``RejectedError``; ``BridgeError`` ->
``StateStoreError``) are counted in the report and logged; delivery errors never raise from
``process``.
"""

from ._bridge import AlertBridge
from ._client import AlertmanagerClient
from ._errors import BridgeError, DeliveryError, RejectedError, StateStoreError
from ._flapping import Flap, FlapCycle, Flapping, FlappingSettings, flapping_settings
from ._machine import FIRING, PENDING, RESOLVED, AlertState, Step, Timing, step
from ._payload import alert, annotations_of, labels_of
from ._report import BridgeReport
from ._states import StateStore

__all__ = [
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
