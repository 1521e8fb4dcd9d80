"""The errors of the history store::

HistoryError -> HistoryUnavailable
"""

from __future__ import annotations


class HistoryError(Exception):
    """The history store refused a request or cannot be used; the message says what to check."""


class HistoryUnavailable(HistoryError):
    """The backend did not answer (down, overloaded, unreachable); recording spools and retries later."""
