"""The errors of silences; every message says what failed and what to do about it."""

from __future__ import annotations


class SilenceError(Exception):
    """A silence could not be created, changed, listed or ended."""


class InvalidSilence(SilenceError):
    """The request cannot be done as asked (missing or past end, too long, unknown name...).

    The message is for operators (it may name configuration keys and files). ``reason`` and
    ``details`` say the same as data, for front ends that answer people in their own words
    (the chat bot): ``reason`` is one of ``REASONS`` below, or "" for the rarer ones.
    """

    REASONS = (
        "end_missing",  # no end time or duration given
        "end_invalid",  # the end time or duration cannot be read
        "end_past",  # the end is not in the future
        "too_long",  # details: limit (seconds)
        "cluster_missing",
        "cluster_unknown",  # details: name, suggestion ("" when none)
        "check_missing",
        "check_unknown",  # details: name, suggestion
        "level_unknown",  # details: level
        "reason_missing",  # maintenance needs a reason
        "creator_missing",
    )

    def __init__(self, message: str, reason: str = "", **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


class SilenceNotFound(InvalidSilence):
    """No Alertmanager knows a silence with that ID."""


class AlertmanagerUnavailable(SilenceError):
    """No configured Alertmanager answered; the message lists each one and why."""
