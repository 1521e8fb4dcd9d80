"""Silences: maintenance windows of a cluster and per-problem mutes, as Alertmanager silences.

One code path for every front end (the ``khp`` command, the chat bot, the web console)::

    service = SilenceService(config)
    service.start_maintenance("alpha", duration="4h", reason="HDFS upgrade", created_by="kim")
    service.mute("Task slot usage", "beta", "cri", duration="1d", created_by="kim")
    for silence in service.list_silences(cluster="alpha"):
        print(silence.describe())

The matchers are DESIGN §5's: maintenance ``[cluster]``, CRI ``[alertname, cluster,
severity="warning"]``, OFF ``[alertname, cluster]``. Every silence ends: the end time is
mandatory, in the future and bounded by ``silences.max_maintenance`` / ``silences.max_mute``.

Alertmanagers of one HA cluster replicate silences by gossip, so a silence is created on the
first of ``alertmanager.urls`` that answers (not on each), and read from the first that answers.

What Alertmanager does with each alert (``alert_statuses``, read in the background by
``StatusWatch``): active, or suppressed by a maintenance window, a mute, another silence or an
inhibition; ``khp run`` exports it and records it in the history.

Errors::

    SilenceError
     ├── InvalidSilence           the request cannot be done as asked; the message says why and what to do
     │    └── SilenceNotFound     no Alertmanager knows that silence ID
     └── AlertmanagerUnavailable  none of alertmanager.urls answered; each one and why are listed
"""

from ._checks import EVALUATOR_CHECKS, emit_names, known_checks
from ._client import AlertmanagerClient
from ._errors import AlertmanagerUnavailable, InvalidSilence, SilenceError, SilenceNotFound
from ._model import CRI, KINDS, MAINTENANCE, MUTE_LEVELS, OFF, Maintenance, Mute, Silence, decode, matchers_for
from ._rules import end_time, maintenance_request, mute_request
from ._service import SilenceService, is_silence_id
from ._statuses import (
    ACTIVE,
    SUPPRESSED,
    UNPROCESSED,
    AlertStatus,
    StatusKey,
    StatusReading,
    StatusWatch,
    alert_statuses,
    status_key,
)

__all__ = [
    "ACTIVE",
    "CRI",
    "EVALUATOR_CHECKS",
    "KINDS",
    "MAINTENANCE",
    "MUTE_LEVELS",
    "OFF",
    "SUPPRESSED",
    "UNPROCESSED",
    "AlertStatus",
    "AlertmanagerClient",
    "AlertmanagerUnavailable",
    "InvalidSilence",
    "Maintenance",
    "Mute",
    "Silence",
    "SilenceError",
    "SilenceNotFound",
    "SilenceService",
    "StatusKey",
    "StatusReading",
    "StatusWatch",
    "alert_statuses",
    "decode",
    "emit_names",
    "end_time",
    "is_silence_id",
    "known_checks",
    "maintenance_request",
    "matchers_for",
    "mute_request",
    "status_key",
]
