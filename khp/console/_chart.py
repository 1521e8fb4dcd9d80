"""Detected, fired and problems notified over time, as an SVG drawn on the server. Pure: no I/O, no JavaScript.

``timeline`` counts, per time bucket, the problems detected, the ones that fired, and the
problems a room was notified about; ``svg`` draws them as grouped bars with a value axis,
hover titles and a legend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from khp.configuration import format_duration, format_time
from khp.history import HistoryEvent

STEPS = (300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 7 * 86400)
MAX_BUCKETS = 48
SERIES = (("detected", "Detected"), ("fired", "Fired"), ("notified", "Problems notified"))


@dataclass(frozen=True)
class Bucket:
    start: float
    end: float
    detected: int = 0
    fired: int = 0
    notified: int = 0


def step_for(since: float, until: float) -> float:
    """The shortest round bucket length giving at most ``MAX_BUCKETS`` buckets."""
    span = max(until - since, 1.0)
    return next((step for step in STEPS if span / step <= MAX_BUCKETS), span / MAX_BUCKETS)


def timeline(events: Iterable[HistoryEvent], since: float, until: float, step: float) -> list[Bucket]:
    """Per bucket of ``step`` seconds: ``detected`` and ``fired`` events, problems ``notified`` (once each)."""
    count = max(1, int(-(-(until - since) // step)))
    detected = [0] * count
    fired = [0] * count
    notified: list[set[str]] = [set() for _ in range(count)]
    for event in events:
        if not since <= event.time < until:
            continue
        index = min(int((event.time - since) // step), count - 1)
        if event.kind == "detected":
            detected[index] += 1
        elif event.kind == "fired":
            fired[index] += 1
        elif event.kind == "notified":
            notified[index].add(event.key)
    return [
        Bucket(since + i * step, min(since + (i + 1) * step, until), detected[i], fired[i], len(notified[i]))
        for i in range(count)
    ]


def svg(buckets: list[Bucket], width: int = 960, height: int = 260) -> str:
    """The chart as an inline ``<svg>`` element (escaped text only)."""
    left, right, top, bottom = 48, 12, 26, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([1] + [max(b.detected, b.fired, b.notified) for b in buckets])
    ceiling = 4 * _tick(peak / 4)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" xmlns="http://www.w3.org/2000/svg"'
        f' aria-label="problems detected, fired and notified per {format_duration(_step(buckets))}">'
    ]
    for i in range(5):
        value = ceiling * i / 4
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    slot = plot_w / max(len(buckets), 1)
    bar = max(slot / (len(SERIES) + 1), 1.0)
    label_every = max(1, len(buckets) // 8)
    for index, bucket in enumerate(buckets):
        x0 = left + index * slot + bar / 2
        for offset, (name, label) in enumerate(SERIES):
            value = getattr(bucket, name)
            h = plot_h * value / ceiling
            x = x0 + offset * bar
            title = f"{label}: {value} ({format_time(bucket.start)} to {format_time(bucket.end)})"
            parts.append(
                f'<rect class="{name}" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                f"<title>{escape(title)}</title></rect>"
            )
        if index % label_every == 0 and left + index * slot < width - right - 70:
            tick = format_time(bucket.start)[5:16].replace("T", " ")
            x = left + index * slot
            parts.append(f'<text class="axis" x="{x:.1f}" y="{height - bottom + 16}">{escape(tick)}</text>')
    parts.append(f'<line class="base" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>')
    for offset, (name, label) in enumerate(SERIES):
        x = left + offset * 110
        parts.append(f'<rect class="{name}" x="{x}" y="6" width="12" height="12"/>')
        parts.append(f'<text class="legend" x="{x + 16}" y="16">{escape(label)}</text>')
    per = escape(format_duration(_step(buckets)))
    parts.append(f'<text class="axis" x="{width - right}" y="16" text-anchor="end">UTC, per {per}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _step(buckets: list[Bucket]) -> float:
    return buckets[0].end - buckets[0].start if buckets else 0.0


def _tick(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^n at or above ``value``, and at least 1: counts get whole ticks."""
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    factors = (1, 2, 5, 10) if magnitude == 1 else (1, 2, 2.5, 5, 10)
    return next(factor * magnitude for factor in factors if factor * magnitude >= value)
