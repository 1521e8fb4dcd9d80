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

__all__ = [
    "CRI",
    "EVALUATOR_CHECKS",
    "KINDS",
    "MAINTENANCE",
    "MUTE_LEVELS",
    "OFF",
    "AlertmanagerClient",
    "AlertmanagerUnavailable",
    "InvalidSilence",
    "Maintenance",
    "Mute",
    "Silence",
    "SilenceError",
    "SilenceNotFound",
    "SilenceService",
    "decode",
    "emit_names",
    "end_time",
    "is_silence_id",
    "known_checks",
    "maintenance_request",
    "matchers_for",
    "mute_request",
]
