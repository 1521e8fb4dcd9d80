"""History: every problem transition and notification, kept for statistics.

The alert bridge records ``detected``/``healed``/``fired``/``resolved`` and ``flapping``/``stable``,
``khp run`` what Alertmanager ``suppressed``, the receiver ``notified``/``failed`` and operators'
``action`` events, all keyed by ``problem_key(labels)``.
``open_history(config)`` returns the backend ``history.type`` names: ``embedded`` (a table in
the store's SQLite file, the default) or ``elasticsearch`` (monthly indices written in bulk
through a durable spool: nothing lost while it is down, nothing duplicated on replay)::

    history = open_history(config)
    history.record([HistoryEvent.for_labels(now, "fired", alert.labels, value=71.5, threshold=70)])
    stats = statistics(history.events(since, until), since, until)
    stats.ledger.total.share_notified["warning"]     # the seed's 12 %: of all problems, notified to the warning room

Errors::

    HistoryError -> HistoryUnavailable
"""

from ._errors import HistoryError, HistoryUnavailable
from ._event import EVENT_KINDS, KEY_LABELS, HistoryEvent, problem_key
from ._history import History
from ._ledger import Ledger, LedgerRow
from ._occurrences import REASON_LABELS, REASONS, SUPPRESSIONS
from ._open import open_history
from ._settings import HISTORY_TYPES, HistorySettings, history_settings
from ._statistics import Figures, Statistics, statistics, statistics_json

__all__ = [
    "EVENT_KINDS",
    "HISTORY_TYPES",
    "KEY_LABELS",
    "REASONS",
    "REASON_LABELS",
    "SUPPRESSIONS",
    "Figures",
    "History",
    "HistoryError",
    "HistoryEvent",
    "HistorySettings",
    "HistoryUnavailable",
    "Ledger",
    "LedgerRow",
    "Statistics",
    "history_settings",
    "open_history",
    "problem_key",
    "statistics",
    "statistics_json",
]
