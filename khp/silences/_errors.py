"""The errors of silences; every message says what failed and what to do about it."""

from __future__ import annotations


class SilenceError(Exception):
    """A silence could not be created, changed, listed or ended."""


class InvalidSilence(SilenceError):
    """The request cannot be done as asked (missing or past end, too long, unknown name...)."""


class SilenceNotFound(InvalidSilence):
    """No Alertmanager knows a silence with that ID."""


class AlertmanagerUnavailable(SilenceError):
    """No configured Alertmanager answered; the message lists each one and why."""
