"""One Alertmanager notification composed into channel-independent message content; no I/O.

    content = compose(notification, "ko", Links(console_url="https://khp.example.com"), now=time.time())
    content.title      # '[심각] alpha: Task slot usage'
    content.text       # the whole message as plain text
    KakaoWorkChannel(...).render(content)   # each channel lays the same content out its own way

A group longer than ``max_alerts`` lists the first ones (critical before warning, firing before
resolved) and says how many more there are, per check (``'외 12건: Disk usage 8, GC time 4'``);
alerts that Alertmanager itself left out (``truncatedAlerts``) are reported too. Nothing is
dropped without saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import math
import re
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from khp.configuration import format_time

from ._i18n import DEFAULT_LANGUAGE, ZONES, check_language, human_clock, human_duration, phrase
from ._urls import http_url, source_url
from ._webhook import Alert, Notification

DEFAULT_MAX_ALERTS = 10
MUTE_MINUTES = 60
MAINTENANCE_MINUTES = 120
VALUE_LIMIT = 1000
"""Bytes (UTF-8) an action's value may take: KakaoWork's 1,000 characters, counted as bytes to be safe."""
_SEVERITY_RANK = {"critical": 0, "warning": 1}


@dataclass(frozen=True)
class Links:
    """Where messages link to, as people reach them.

    ``console_url`` is the khp web console (``<console_url>/clusters/<cluster>``); empty leaves
    console links out. ``alertmanager_url`` replaces the webhook's ``externalURL`` when that is
    an address people cannot open.
    """

    console_url: str = ""
    alertmanager_url: str = ""


@dataclass(frozen=True)
class Link:
    """A labelled URL; ``kind`` is ``source``, ``silence``, ``console`` or ``alerts``."""

    kind: str
    label: str
    url: str


@dataclass(frozen=True)
class Action:
    """Something an operator can do from chat.

    ``name`` is ``mute``, ``maintenance`` or ``custom``; ``kind`` is ``submit`` (done at once) or
    ``modal`` (asks first). ``value`` is ``key=value`` pairs joined by ``;``, with ``%``, ``;``,
    ``=`` and control characters percent-encoded (``urllib.parse.unquote`` reads it):
    ``check=Disk usage;cluster=alpha;level=off;minutes=60``. A check name too long for the
    value's 1,000 bytes is sent as ``check_id=<check_id(check)>``, which the bot looks up.
    """

    name: str
    kind: str
    label: str
    value: str


@dataclass(frozen=True)
class Item:
    """One alert of the message, with its lines already written in the message's language."""

    status: str
    severity: str
    check: str
    cluster: str
    host: str
    service: str
    value: str
    compare: str
    threshold: str
    description: str
    starts_at: float
    ends_at: float | None
    heading: str
    condition: str
    timing: str
    links: tuple[Link, ...]

    @property
    def text(self) -> str:
        """Heading, condition, timing and description, one a line."""
        return "\n".join(line for line in (self.heading, self.condition, self.timing, self.description) if line)


@dataclass(frozen=True)
class Subject:
    """One (check, cluster) of the group: what its links show and its actions act on."""

    check: str
    cluster: str
    firing: int
    resolved: int
    links: tuple[Link, ...]
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class CheckCount:
    check: str
    count: int


@dataclass(frozen=True)
class MessageContent:
    """What one message to one room says, whatever the channel."""

    notification_id: str
    language: str
    status: str
    severity: str
    cluster: str
    title: str
    summary: str
    items: tuple[Item, ...]
    subjects: tuple[Subject, ...]
    omitted: tuple[CheckCount, ...]
    more: str
    truncated: int
    truncated_note: str
    links: tuple[Link, ...]
    firing: int
    resolved: int

    @property
    def tone(self) -> str:
        """``resolved``, ``critical``, ``warning`` or ``none``: what colours the message."""
        if self.status == "resolved":
            return "resolved"
        return self.severity if self.severity in _SEVERITY_RANK else "none"

    @property
    def omitted_count(self) -> int:
        return sum(each.count for each in self.omitted)

    @property
    def preview(self) -> str:
        """One line for notifications and previews: the title and the counts."""
        return f"{self.title} · {self.summary}"

    @property
    def notes(self) -> tuple[str, ...]:
        """The summary lines for what is not listed: more alerts than listed, Alertmanager's truncation."""
        return tuple(note for note in (self.more, self.truncated_note) if note)

    @property
    def text(self) -> str:
        """The whole message as plain text, links written out."""
        parts = [f"{self.title}\n{self.summary}"]
        parts += [item.text for item in self.items]
        parts += ["\n".join(self.notes)] if self.notes else []
        many = len(self.subjects) > 1
        labelled = [
            (f"{link.label} ({subject.check})" if many and link.kind != "console" else link.label, link.url)
            for subject in self.subjects
            for link in subject.links
        ]
        labelled += [(link.label, link.url) for link in self.links]
        first: dict[str, str] = {}
        for label, url in labelled:
            first.setdefault(url, label)
        parts += ["\n".join(f"{label}: {url}" for url, label in first.items())] if first else []
        return "\n\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """Every field plus ``tone``, ``preview`` and ``text``, as JSON would give it back (lists, not tuples)."""
        data = dataclasses.asdict(self, dict_factory=lambda pairs: {k: _lists(v) for k, v in pairs})
        data.update(tone=self.tone, preview=self.preview, text=self.text)
        return data


def compose(
    notification: Notification,
    language: str = DEFAULT_LANGUAGE,
    links: Links = Links(),
    *,
    max_alerts: int = DEFAULT_MAX_ALERTS,
    now: float | None = None,
    zone: dt.tzinfo | None = None,
) -> MessageContent:
    """The message for ``notification`` in ``language`` (``ko`` or ``en``).

    ``max_alerts`` alerts are listed, the rest counted per check. ``now`` (epoch seconds) adds
    "for 25m" to firing alerts; without it the message depends on the notification alone.
    Clock times are written in ``zone``: KST for Korean, UTC for English unless given.
    """
    check_language(language)
    if max_alerts < 1:
        raise ValueError(f"max_alerts must be 1 or more, got {max_alerts}")
    writer = _Writer(language, zone or ZONES[language], now, _alertmanager_url(notification, links), links)
    alerts = sorted(notification.alerts, key=_order)
    listed, rest = alerts[:max_alerts], alerts[max_alerts:]
    clusters = list(dict.fromkeys(a.cluster for a in alerts if a.cluster))
    many_checks = len({a.check for a in alerts}) > 1
    firing = sum(a.status == "firing" for a in alerts)
    omitted = _per_check(rest)
    return MessageContent(
        notification_id=notification.id,
        language=language,
        status=notification.status,
        severity=_severity(notification, alerts),
        cluster=notification.cluster or writer.clusters(clusters),
        title=writer.title(notification, alerts, clusters),
        summary=writer.summary(firing, len(alerts) - firing),
        items=tuple(writer.item(a, many_checks=many_checks, many_clusters=len(clusters) > 1) for a in listed),
        subjects=tuple(writer.subject(check, cluster, group) for (check, cluster), group in _subjects(alerts)),
        omitted=omitted,
        more=writer.more(omitted),
        truncated=notification.truncated_alerts,
        truncated_note=phrase(language, "truncated", count=notification.truncated_alerts)
        if notification.truncated_alerts
        else "",
        links=writer.group_links(notification, clusters),
        firing=firing,
        resolved=len(alerts) - firing,
    )


def plain_content(
    notification: Notification, language: str = DEFAULT_LANGUAGE, *, max_alerts: int = DEFAULT_MAX_ALERTS
) -> MessageContent:
    """The message for ``notification`` from its labels alone: what is sent when ``compose`` or a channel fails on it.

    Status (an alert ended for lack of data says so, never "resolved"), check, cluster and host of
    each alert and a line saying this is the plain form; no clock, annotations, links or actions.
    """
    check_language(language)
    writer = _Writer(language, ZONES[language], None, "", Links())
    alerts = notification.alerts
    listed, rest = alerts[:max_alerts], alerts[max_alerts:]
    firing = sum(a.status == "firing" for a in alerts)
    severity = _severity(notification, list(alerts))
    nodata = bool(alerts) and all(map(ended_for_no_data, alerts))
    checks = list(dict.fromkeys(a.check for a in alerts))
    named = ", ".join(checks[:3]) + (f" (+{len(checks) - 3})" if len(checks) > 3 else "")
    cluster = notification.cluster or writer.clusters(list(dict.fromkeys(a.cluster for a in alerts if a.cluster)))
    tag = writer.tag(notification.status, severity, nodata)

    def item(alert: Alert) -> Item:
        own = writer.tag(alert.status, alert.severity, ended_for_no_data(alert))
        heading = " · ".join(part for part in (f"[{own}] {alert.check}", alert.cluster, alert.host) if part)
        return Item(
            status=alert.status, severity=alert.severity, check=alert.check, cluster=alert.cluster, host=alert.host,
            service=alert.labels.get("service", ""), value="", compare="", threshold="", description="",
            starts_at=alert.starts_at, ends_at=alert.ends_at, heading=heading, condition="", timing="", links=(),
        )  # fmt: skip

    return MessageContent(
        notification_id=notification.id,
        language=language,
        status=notification.status,
        severity=severity,
        cluster=cluster,
        title=writer.say("title", tag=tag, cluster=cluster, subject=named) if cluster else f"[{tag}] {named}",
        summary=phrase(language, "plain.form"),
        items=tuple(item(alert) for alert in listed),
        subjects=(),
        omitted=(),
        more=phrase(language, "more.count", count=len(rest)) if rest else "",
        truncated=notification.truncated_alerts,
        truncated_note=phrase(language, "truncated", count=notification.truncated_alerts)
        if notification.truncated_alerts
        else "",
        links=(),
        firing=firing,
        resolved=len(alerts) - firing,
    )


class _Writer:
    """The phrases of one message: language, clock and link bases fixed once."""

    def __init__(self, language: str, zone: dt.tzinfo, now: float | None, alertmanager: str, links: Links) -> None:
        self.language = language
        self.zone = zone
        self.now = now
        self.alertmanager = alertmanager
        self.console = links.console_url.rstrip("/")

    def say(self, key: str, **values: object) -> str:
        return phrase(self.language, key, **values)

    def tag(self, status: str, severity: str, nodata: bool = False) -> str:
        if status == "resolved":
            return self.say("status.nodata" if nodata else "status.resolved")
        return self.say(f"severity.{severity}" if severity in _SEVERITY_RANK else "severity.none")

    def clusters(self, clusters: list[str]) -> str:
        if len(clusters) <= 1:
            return clusters[0] if clusters else ""
        return self.say("clusters.many", first=clusters[0], others=len(clusters) - 1)

    def title(self, notification: Notification, alerts: list[Alert], clusters: list[str]) -> str:
        checks = Counter(a.check for a in alerts)
        first = alerts[0].check
        if len(checks) > 1:
            subject = self.say("subject.many", check=first, others=len(alerts) - 1)
        elif len(alerts) > 1:
            subject = self.say("subject.same", check=first, count=len(alerts))
        else:
            subject = first
        tag = self.tag(notification.status, _severity(notification, alerts), all(map(ended_for_no_data, alerts)))
        cluster = notification.cluster or self.clusters(clusters)
        return self.say("title", tag=tag, cluster=cluster, subject=subject) if cluster else f"[{tag}] {subject}"

    def summary(self, firing: int, resolved: int) -> str:
        parts = [self.say("counts.firing", count=firing)] if firing else []
        parts += [self.say("counts.resolved", count=resolved)] if resolved else []
        return ", ".join(parts)

    def item(self, alert: Alert, *, many_checks: bool, many_clusters: bool) -> Item:
        notes = alert.annotations
        where = alert.host or self.say("cluster.wide")
        if many_clusters:
            where = f"{alert.cluster}/{alert.host}" if alert.host else alert.cluster
        what = f"{alert.check} · {where}" if many_checks else where
        value, compare, threshold = (
            _number(notes.get("value", "")),
            notes.get("compare", ""),
            _number(notes.get("threshold", "")),
        )
        if value and compare and threshold:
            condition = self.say("condition", value=value, compare=compare, threshold=threshold)
        else:
            condition = self.say("value", value=value) if value else ""
        return Item(
            status=alert.status,
            severity=alert.severity,
            check=alert.check,
            cluster=alert.cluster,
            host=alert.host,
            service=alert.labels.get("service", ""),
            value=value,
            compare=compare,
            threshold=threshold,
            description=self.flapping(alert) + notes.get("description", ""),
            starts_at=alert.starts_at,
            ends_at=alert.ends_at,
            heading=f"[{self.tag(alert.status, alert.severity, ended_for_no_data(alert))}] {what}",
            condition=condition,
            timing=self.timing(alert),
            links=self.links(alert.check, alert.cluster, _source(alert)),
        )

    def flapping(self, alert: Alert) -> str:
        """The line that says a firing alert is held as flapping (the bridge's ``flapping`` annotation)."""
        return self.say("flapping") + "\n" if alert.status == "firing" and "flapping" in alert.annotations else ""

    def timing(self, alert: Alert) -> str:
        if ended_for_no_data(alert) and alert.ends_at is not None:
            ended = alert.ends_at
            return self.say("nodata.ended", clock=human_clock(ended, self.language, self.zone), iso=format_time(ended))
        if alert.status == "resolved" and alert.ends_at is not None:
            return self.say(
                "healed",
                clock=human_clock(alert.ends_at, self.language, self.zone),
                lasted=human_duration(alert.ends_at - alert.starts_at, self.language),
                iso=format_time(alert.ends_at),
            )
        clock, iso = human_clock(alert.starts_at, self.language, self.zone), format_time(alert.starts_at)
        if self.now is None:
            return self.say("since.plain", clock=clock, iso=iso)
        return self.say("since", clock=clock, ago=human_duration(self.now - alert.starts_at, self.language), iso=iso)

    def links(self, check: str, cluster: str, source: str) -> tuple[Link, ...]:
        source = source_url(source, self.console)
        found = [Link("source", self.say("link.source"), source)] if source else []
        if self.alertmanager and cluster:
            found.append(Link("silence", self.say("link.silence"), silence_url(self.alertmanager, check, cluster)))
        if self.console and cluster:
            found.append(Link("console", self.say("link.console"), console_url(self.console, cluster)))
        return tuple(found)

    def subject(self, check: str, cluster: str, alerts: list[Alert]) -> Subject:
        firing = sum(a.status == "firing" for a in alerts)
        source = next((_source(a) for a in alerts if _source(a)), "")
        actions: tuple[Action, ...] = ()
        if firing and cluster:
            actions = (
                Action("mute", "submit", self.say("action.mute"), _value(check, cluster, "off", MUTE_MINUTES)),
                Action("mute", "submit", self.say("action.cri"), _value(check, cluster, "cri", MUTE_MINUTES)),
                Action(
                    "maintenance",
                    "submit",
                    self.say("action.maintenance"),
                    _pairs(cluster=cluster, minutes=str(MAINTENANCE_MINUTES)),
                ),
                Action("custom", "modal", self.say("action.custom"), _pairs(check=check, cluster=cluster)),
            )
        return Subject(check, cluster, firing, len(alerts) - firing, self.links(check, cluster, source), actions)

    def more(self, omitted: tuple[CheckCount, ...]) -> str:
        if not omitted:
            return ""
        return self.say("more", count=sum(c.count for c in omitted), by_check=by_check(omitted))

    def group_links(self, notification: Notification, clusters: list[str]) -> tuple[Link, ...]:
        found = []
        if self.console:
            url = console_url(self.console, clusters[0]) if len(clusters) == 1 else self.console
            found.append(Link("console", self.say("link.console"), url))
        if self.alertmanager:
            labels = dict(notification.group_labels) or ({"cluster": clusters[0]} if len(clusters) == 1 else {})
            found.append(Link("alerts", self.say("link.alerts"), alerts_url(self.alertmanager, labels)))
        return tuple(found)


def ended_for_no_data(alert: Alert) -> bool:
    """The evaluator ended the alert because its element had no data for the hold, not because it healed."""
    return alert.status == "resolved" and alert.annotations.get("resolved_by") == "no data"


def by_check(counts: Iterable[CheckCount]) -> str:
    """``'Disk usage 8, GC time 4'``."""
    return ", ".join(f"{each.check} {each.count}" for each in counts)


def count_checks(checks: Iterable[str]) -> tuple[CheckCount, ...]:
    """How many of each check, most first (then by name)."""
    counted = Counter(checks)
    return tuple(CheckCount(check, n) for check, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0])))


@functools.lru_cache(maxsize=4096)  # the alerts of a message share their check and cluster
def silence_url(alertmanager: str, check: str, cluster: str) -> str:
    """Alertmanager's "new silence" page, filled in for ``check`` on ``cluster``."""
    return f"{alertmanager}/#/silences/new?filter={_filter({'alertname': check, 'cluster': cluster})}"


def alerts_url(alertmanager: str, labels: Mapping[str, str]) -> str:
    """Alertmanager's alert list filtered on ``labels``."""
    return f"{alertmanager}/#/alerts" + (f"?filter={_filter(labels)}" if labels else "")


def console_url(console: str, cluster: str) -> str:
    return f"{console}/clusters/{urllib.parse.quote(cluster, safe='')}"


def _filter(labels: Mapping[str, str]) -> str:
    def quoted(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    matchers = ",".join(f'{name}="{quoted(value)}"' for name, value in labels.items())
    return urllib.parse.quote("{" + matchers + "}", safe="")


def _alertmanager_url(notification: Notification, links: Links) -> str:
    """Alertmanager's address for links, or ``''`` (no silence or alert links) if it is not an http(s) URL."""
    url = (links.alertmanager_url or notification.external_url).rstrip("/")
    return url if http_url(url) else ""


def _order(alert: Alert) -> tuple[Any, ...]:
    rank = _SEVERITY_RANK.get(alert.severity, len(_SEVERITY_RANK))
    return (alert.status != "firing", rank, alert.check, _natural(alert.cluster), _natural(alert.host), alert.starts_at)


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sorts ``a-rs2`` before ``a-rs10``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", text) if part)


def _severity(notification: Notification, alerts: list[Alert]) -> str:
    """The highest severity among the firing alerts (among all when none fires)."""
    pool = [a for a in alerts if a.status == "firing"] or alerts
    known = [a.severity for a in pool if a.severity in _SEVERITY_RANK]
    if known:
        return min(known, key=_SEVERITY_RANK.__getitem__)
    return notification.severity or (pool[0].severity if pool else "")


def _subjects(alerts: list[Alert]) -> list[tuple[tuple[str, str], list[Alert]]]:
    groups: dict[tuple[str, str], list[Alert]] = {}
    for alert in alerts:
        groups.setdefault((alert.check, alert.cluster), []).append(alert)
    return list(groups.items())


def _per_check(alerts: list[Alert]) -> tuple[CheckCount, ...]:
    return count_checks(a.check for a in alerts)


def _lists(value: Any) -> Any:
    return [_lists(each) for each in value] if isinstance(value, (tuple, list)) else value


def _source(alert: Alert) -> str:
    return alert.annotations.get("source", "") or alert.generator_url


def _value(check: str, cluster: str, level: str, minutes: int) -> str:
    return _pairs(check=check, cluster=cluster, level=level, minutes=str(minutes))


def check_id(check: str) -> str:
    """A short stand-in for a check name in a button's value: 16 hex digits of its SHA-256."""
    return hashlib.sha256(check.encode("utf-8")).hexdigest()[:16]


def _pairs(**values: str) -> str:
    """``key=value;...`` within ``VALUE_LIMIT`` bytes; a check name that does not fit goes as its ``check_id``."""
    text = ";".join(f"{key}={_quote(value)}" for key, value in values.items())
    if len(text.encode("utf-8")) > VALUE_LIMIT and "check" in values:
        values = {("check_id" if key == "check" else key): value for key, value in values.items()}
        values["check_id"] = check_id(values["check_id"])
        text = ";".join(f"{key}={_quote(value)}" for key, value in values.items())
    return text


def _quote(value: str) -> str:
    """Percent-encode only what would break ``key=value;...``: Hangul stays one character, not nine."""
    return re.sub(r"[%;=\x00-\x1f\x7f]", lambda m: f"%{ord(m.group()):02X}", value)


def _number(text: str) -> str:
    """A number as people read it (``46.913``, ``1200``, ``0.00012``); other text as it is."""
    try:
        value = float(text)
    except ValueError:
        return text.strip()
    if not math.isfinite(value):
        return text.strip()
    if abs(value) >= 1e15:
        return f"{value:.6g}"
    if value.is_integer():
        return str(int(value))
    if abs(value) >= 0.01:
        return f"{value:.3f}".rstrip("0").rstrip(".")
    return f"{value:.3g}"
