"""What front ends import from ``silences``, pinned: a change must be deliberate."""

from __future__ import annotations

from khp import silences


def test_the_public_surface() -> None:
    assert silences.__all__ == [
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
    for name in silences.__all__:
        assert getattr(silences, name) is not None


def test_the_exception_tree() -> None:
    assert issubclass(silences.InvalidSilence, silences.SilenceError)
    assert issubclass(silences.SilenceNotFound, silences.InvalidSilence)
    assert issubclass(silences.AlertmanagerUnavailable, silences.SilenceError)
    assert not issubclass(silences.AlertmanagerUnavailable, silences.InvalidSilence)
