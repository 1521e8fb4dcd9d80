"""What the console's pages show and what its forms do, without Flask.

Reading: current problems from the bridge's table, silences from Alertmanager, the history.
Changing: mutes and maintenance go through ``SilenceService`` (the one code path for silences),
thresholds through the cluster's file; every change is recorded in the history as an
``action`` with the user as actor. Trouble reading one part (Alertmanager down, store
unreadable) becomes a notice on the page, not an error page.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from khp.configuration import Config, ConfigError, LiveConfig, format_duration
from khp.history import REASON_LABELS, History, HistoryError, HistoryEvent, problem_key, statistics, statistics_json
from khp.silences import AlertmanagerClient, Silence, SilenceError, SilenceService, StatusWatch

from ._catalog import Catalog
from ._chart import Bucket, step_for, svg, timeline
from ._cluster_settings import ClusterSettingsEditor, Edit, parse_pending, parse_rooms
from ._clusterfile import ClusterFileError, locked, read_text, set_threshold, write_atomically
from ._filters import FleetFilter
from ._fleet import Fleet, Rooms, durations, fleet, maintenance_of, mutes_by_check, rooms
from ._problems import CurrentProblem, ProblemsUnavailable, read_problems
from ._thresholds import ThresholdInputError, ThresholdRow, describe_change, parse_entry, threshold_rows

log = logging.getLogger("console")

MUTE_CHOICES = (("1h", 3600.0), ("4h", 14400.0), ("1d", 86400.0), ("3d", 259200.0), ("7d", 604800.0))
MAINTENANCE_CHOICES: tuple[tuple[str, float], ...] = (
    ("30m", 1800.0), ("1h", 3600.0), ("2h", 7200.0), ("4h", 14400.0),
    ("8h", 28800.0), ("1d", 86400.0), ("3d", 259200.0), ("7d", 604800.0),
)  # fmt: skip
ACTIONS_SHOWN = 15
REASON_COLUMNS = {
    "healed_while_pending": "Healed while pending",
    "maintenance": "Maintenance",
    "muted": "Muted",
    "silenced": "Other silence",
    "inhibited": "Inhibited",
    "grouped": "Grouped",
    "flapping": "Flapping",
    "delivery_failed": "Delivery failed",
    "still_pending": "Still pending",
    "not_notified_yet": "Not notified yet",
}
CHANNEL = "console"


class ThresholdRefused(Exception):
    """A threshold edit that was not saved; the message says why, the file is unchanged."""


@dataclass
class Overview:
    fleet: Fleet
    filter: FleetFilter
    notices: list[str] = field(default_factory=list)


@dataclass
class ClusterView:
    name: str
    config: Config
    problems: list[CurrentProblem]
    silences: list[Silence] | None
    maintenance: Silence | None
    mutes: dict[str, list[Silence]]
    thresholds: list[ThresholdRow]
    rooms: list[Rooms]
    actions: list[HistoryEvent]
    mute_durations: list[tuple[str, str]]
    maintenance_durations: list[tuple[str, str]]
    file: str
    threshold_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # monitor -> keys it uses
    notices: list[str] = field(default_factory=list)
    held: Mapping[tuple, str] = field(default_factory=dict)  # Problem.key -> why Alertmanager holds it back
    pending: float | None = None  # the cluster file's own pending time
    default_pending: float = 300.0
    check_keys: Any = None  # (monitor, check) -> the threshold keys that check uses
    rooms_editable: bool = False

    @property
    def overrides(self) -> list[ThresholdRow]:
        return [row for row in self.thresholds if row.overridden]


@dataclass
class HistoryView:
    since: float
    until: float
    cluster: str | None
    step: float
    buckets: list[Bucket]
    chart: str
    figures: dict[str, Any]
    clusters: list[str]
    notices: list[str] = field(default_factory=list)
    reasons: Mapping[str, str] = field(default_factory=lambda: dict(REASON_LABELS))
    reason_columns: Mapping[str, str] = field(default_factory=dict)  # the reasons any check has, short names


class ConsoleService:
    """The console's reads and changes; ``silences`` replaces the ``SilenceService`` built per request."""

    def __init__(
        self,
        live: LiveConfig,
        catalog: Catalog,
        history: History,
        *,
        clock: Callable[[], float] = time.time,
        silences: SilenceService | None = None,
        alertmanager_config: Path | None = None,
    ) -> None:
        self.live = live
        self.catalog = catalog
        self.history = history
        self.clock = clock
        self._silences = silences
        self.editor = ClusterSettingsEditor(live, alertmanager_config)

    # -- reading ----------------------------------------------------------------------------------

    def config(self) -> Config:
        return self.live.current()

    def notices(self) -> list[str]:
        error = self.live.error
        return [f"The configuration on disk does not load; the last good one stays in force: {error}"] if error else []

    def silence_service(self, config: Config, seen: set[str] | None = None) -> SilenceService:
        if self._silences is not None:
            return self._silences
        return SilenceService(config, clock=self.clock, checks=self.catalog.checks, seen_clusters=seen or ())

    def problems(self, config: Config, notices: list[str], cluster: str | None = None) -> list[CurrentProblem]:
        try:
            return read_problems(Path(config.store.path), cluster)
        except ProblemsUnavailable as exc:
            notices.append(f"Current problems unknown: {exc}")
            return []

    def _silences_of(self, service: SilenceService, notices: list[str], cluster: str | None) -> list[Silence] | None:
        try:
            return service.list_silences(cluster=cluster)
        except SilenceError as exc:
            notices.append(f"Silences unknown (maintenance, mutes): {exc}")
            return None

    def held(self, config: Config, notices: list[str]) -> dict[tuple, str]:
        """``Problem.key`` -> why Alertmanager holds the alert back ("" when it sends it on), as it says now."""
        client = AlertmanagerClient(config.alertmanager.urls, timeout=min(config.alertmanager.timeout, 5.0))
        watch = StatusWatch(client, clock=self.clock)
        try:
            reading = watch.read()
        finally:
            watch.close()
        if not reading.ok:
            notices.append(f"What Alertmanager holds back is unknown: {reading.error}")
        return {key: status.reason for key, status in reading.statuses.items()}

    def overview(self, chosen: FleetFilter | None = None) -> Overview:
        config = self.config()
        notices = self.notices()
        problems = self.problems(config, notices)
        service = self.silence_service(config, {p.cluster for p in problems})
        silences = self._silences_of(service, notices, None)
        chosen = chosen or FleetFilter()
        held = self.held(config, notices) if silences is not None else {}  # no answer just now: do not wait twice
        return Overview(fleet(config, problems, silences, held, chosen), chosen, notices)

    def cluster(self, name: str) -> ClusterView | None:
        """The cluster page's data, or None when nothing knows the cluster."""
        config = self.config()
        notices = self.notices()
        problems = self.problems(config, notices, name)
        service = self.silence_service(config, {name} if problems else set())
        silences = self._silences_of(service, notices, name)
        if name not in config.clusters and not problems and not silences:
            return None
        now = self.clock()
        try:
            actions = self.history.events(now - 7 * 86400, now + 1, name, kinds=["action"])[-ACTIONS_SHOWN:][::-1]
        except HistoryError as exc:
            notices.append(f"History unavailable: {exc}")
            actions = []
        cluster = config.clusters.get(name)
        return ClusterView(
            name=name,
            config=config,
            problems=problems,
            silences=silences,
            maintenance=maintenance_of(name, silences or ()),
            mutes=mutes_by_check(silences or ()),
            thresholds=threshold_rows(config, name, self.catalog.monitors_by_key),
            rooms=rooms(config, name),
            actions=actions,
            mute_durations=durations(config.silences.max_mute, MUTE_CHOICES),
            maintenance_durations=durations(config.silences.max_maintenance, MAINTENANCE_CHOICES),
            file=cluster.file if cluster is not None else "",
            threshold_keys=self.catalog.keys_by_monitor,
            notices=notices,
            held=self.held(config, notices) if problems and silences is not None else {},
            pending=cluster.pending if cluster is not None else None,
            default_pending=config.evaluation.pending,
            check_keys=self.catalog.check_keys,
            rooms_editable=self.editor.alertmanager_config is not None,
        )

    def history_view(self, since: float, until: float, cluster: str | None) -> HistoryView:
        config = self.config()
        notices = self.notices()
        step = step_for(since, until)
        try:
            events = self.history.events(since, until, cluster)
            figures = statistics(events, since, until, cluster).as_json()
        except HistoryError as exc:
            notices.append(f"History unavailable: {exc}")
            events, figures = [], {}
        buckets = timeline(events, since, until, step)
        clusters = sorted(set(config.clusters) | {e.cluster for e in events if e.cluster})
        rows = (figures.get("ledger") or {}).get("by_check", [])
        columns = {r: name for r, name in REASON_COLUMNS.items() if any(row["not_notified"].get(r) for row in rows)}
        view = HistoryView(since, until, cluster, step, buckets, svg(buckets), figures, clusters, notices)
        view.reason_columns = columns
        return view

    def statistics(self, since: float, until: float, cluster: str | None) -> dict[str, Any]:
        """``history.statistics_json`` of the range: the figures behind the history page, as JSON."""
        return statistics_json(self.history, since, until, cluster)

    # -- changing ---------------------------------------------------------------------------------

    def mute(self, user: str, cluster: str, check: str, level: str, duration: str, reason: str) -> Silence:
        config = self.config()
        silence = self.silence_service(config, {cluster}).mute(
            check, cluster, level, duration=duration or None, created_by=user, reason=reason
        )
        why = f": {silence.reason}" if silence.reason else ""
        self.record(user, cluster, check, f"mute '{check}' {level} {duration}{why} (silence {silence.id})")
        return silence

    def unmute(self, user: str, cluster: str, check: str) -> list[Silence]:
        ended = self.silence_service(self.config(), {cluster}).unmute(check, cluster)
        ids = ", ".join(s.id for s in ended) or "nothing to end"
        self.record(user, cluster, check, f"unmute '{check}' ({ids})")
        return ended

    def start_maintenance(self, user: str, cluster: str, duration: str, until: str, reason: str) -> Silence:
        service = self.silence_service(self.config(), {cluster})
        silence = service.start_maintenance(
            cluster, duration=duration or None, until=until or None, reason=reason, created_by=user
        )
        length = format_duration(silence.ends_at - self.clock())
        self.record(user, cluster, "", f"maintenance {length}: {silence.reason} (silence {silence.id})")
        return silence

    def end_maintenance(self, user: str, cluster: str) -> list[Silence]:
        ended = self.silence_service(self.config(), {cluster}).end_maintenance(cluster)
        ids = ", ".join(s.id for s in ended) or "nothing to end"
        self.record(user, cluster, "", f"end maintenance ({ids})")
        return ended

    def set_threshold(self, user: str, cluster: str, key: str, warning: str, critical: str) -> str:
        """Write ``key``'s new levels to ``cluster``'s file and load it; the change, as recorded."""
        config = self.config()
        try:
            entry = parse_entry(config, key, warning, critical)
        except ThresholdInputError as exc:
            raise ThresholdRefused(str(exc)) from None
        own = config.clusters.get(cluster)
        if own is None or not own.file:
            raise ThresholdRefused(
                f"{cluster} has no cluster file, so its thresholds are the defaults; create {cluster}.yml in the"
                " clusters directory first"
            )
        path = Path(own.file)
        try:
            with locked(path.parent):
                before_text = read_text(path)
                text, method = set_threshold(before_text, key, entry)
                if text == before_text:
                    return f"threshold {key}: unchanged"
                write_atomically(path, text)
                try:
                    reloaded = self.live.reload()
                except ConfigError as exc:
                    write_atomically(path, before_text)
                    self.live.reload()
                    raise ThresholdRefused(f"the edited file did not load ({exc}); {path} was put back") from None
        except ClusterFileError as exc:
            raise ThresholdRefused(str(exc)) from None
        after = reloaded.clusters[cluster].thresholds.get(key, {}) if cluster in reloaded.clusters else {}
        change = describe_change(key, own.thresholds.get(key, {}), after)
        log.info("%s set %s on %s in %s (%s)", user, change, cluster, path, method)
        self.record(user, cluster, "", f"{change} in {path.name}")
        return change

    def set_rooms(self, user: str, cluster: str, texts: Mapping[str, str]) -> Edit:
        """Write ``cluster``'s rooms and put the routing in force on every Alertmanager."""
        edit = self.editor.set_rooms(cluster, parse_rooms(texts))
        deployed = edit.deployed
        if deployed is not None:
            log.info(
                "%s: %s; %s reloaded %s, failed %s",
                user,
                edit.change,
                deployed.path,
                deployed.reloaded,
                deployed.failed,
            )
            where = f"{deployed.path.name} re-rendered, reloaded on {len(deployed.reloaded)} of"
            where += f" {len(deployed.reloaded) + len(deployed.failed)} Alertmanagers"
            self.record(user, cluster, "", f"{edit.change}; {where}")
        return edit

    def set_pending(self, user: str, cluster: str, text: str) -> Edit:
        """Write ``cluster``'s pending time; ``khp run`` takes it at its next cycle."""
        edit = self.editor.set_pending(cluster, parse_pending(text))
        if not edit.change.endswith("(unchanged)"):
            log.info("%s: %s", user, edit.change)
            self.record(user, cluster, "", edit.change)
        return edit

    def record(self, user: str, cluster: str, check: str, detail: str) -> None:
        """One ``action`` event; a history that cannot take it is logged, the action stands."""
        labels = {"alertname": check, "cluster": cluster} if check else {"cluster": cluster}
        event = HistoryEvent(
            time=self.clock(),
            kind="action",
            key=problem_key(labels),
            check=check,
            cluster=cluster,
            channel=CHANNEL,
            actor=user,
            detail=detail,
        )
        try:
            self.history.record([event])
        except Exception:  # the change is made; losing its record must not hide that
            log.exception("could not record %s's action in the history: %s", user, event)
