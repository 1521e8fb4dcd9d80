"""The history chart: counts per bucket and the SVG drawn from them."""

from __future__ import annotations

from khp.console import svg, timeline
from khp.console._chart import step_for
from khp.history import HistoryEvent

LABELS = {"alertname": "X", "cluster": "alpha", "severity": "warning"}


def event(time: float, kind: str, host: str = "h1") -> HistoryEvent:
    return HistoryEvent.for_labels(time, kind, {**LABELS, "host": host})


def test_buckets_count_detected_fired_and_problems_notified() -> None:
    events = [
        event(10, "detected"),
        event(20, "fired"),
        event(21, "notified"),
        event(22, "notified"),  # a second room: still one problem notified
        event(70, "detected", "h2"),
        event(80, "healed", "h2"),
        event(500, "detected"),  # outside the range
    ]
    buckets = timeline(events, 0, 120, 60)
    assert [(b.start, b.end, b.detected, b.fired, b.notified) for b in buckets] == [
        (0, 60, 1, 1, 1),
        (60, 120, 1, 0, 0),
    ]


def test_last_bucket_is_cut_at_the_end() -> None:
    buckets = timeline([event(99, "detected")], 0, 100, 60)
    assert [(b.start, b.end, b.detected) for b in buckets] == [(0, 60, 0), (60, 100, 1)]


def test_step_keeps_the_number_of_buckets_small() -> None:
    assert step_for(0, 7 * 86400) == 6 * 3600
    assert step_for(0, 3600) == 300
    assert 0 < 400 * 86400 / step_for(0, 400 * 86400) <= 48


def test_svg_draws_each_series_with_titles() -> None:
    drawing = svg(timeline([event(10, "detected"), event(20, "fired")], 0, 120, 60))
    assert drawing.startswith("<svg") and drawing.endswith("</svg>")
    assert drawing.count('<rect class="detected"') == 3  # two bars and the legend
    assert "Detected: 1 (1970-01-01T00:00:00Z to 1970-01-01T00:01:00Z)" in drawing
    assert "<script" not in drawing


def test_svg_axis_has_whole_numbers_for_counts() -> None:
    drawing = svg(timeline([event(10, "detected"), event(11, "detected", "h2")], 0, 60, 60))
    assert ">0.5<" not in drawing and ">4<" in drawing
