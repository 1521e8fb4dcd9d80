"""The one code path behind every front end (CLI, chat bot, web console) that silences alerts."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import requests

from khp.configuration import Config, format_time

from ._checks import configured_checks
from ._client import AlertmanagerClient
from ._errors import InvalidSilence, SilenceNotFound
from ._model import KINDS, MAINTENANCE, MUTE_LEVELS, Maintenance, Mute, Silence, decode, wire_time
from ._rules import When, extended_end, maintenance_request, mute_request

SILENCE_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_silence_id(text: str) -> bool:
    """Whether ``text`` looks like an Alertmanager silence ID (a UUID)."""
    return bool(SILENCE_ID.match(text.strip()))


class SilenceService:
    """Maintenance windows and per-problem mutes, as Alertmanager silences.

    A cluster is *known* when it has a cluster file (``config.clusters``), is in
    ``seen_clusters`` (what the caller has seen, e.g. in problems), or has an alert in
    Alertmanager right now. A check is known when a configured monitor passes it to
    ``self.emit`` as a literal, or is one of the evaluator's own problems (``Monitor failed``,
    ``Monitor timed out``, ``Source unavailable``); ``checks`` replaces that list.
    ``clock``, ``session`` and ``client`` are injectable for tests.
    """

    def __init__(
        self,
        config: Config,
        *,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        checks: Iterable[str] | None = None,
        seen_clusters: Iterable[str] = (),
        client: AlertmanagerClient | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.client = client or AlertmanagerClient(config.alertmanager.urls, config.alertmanager.timeout, session)
        self._checks = set(checks) if checks is not None else None
        self._seen = set(seen_clusters)
        where = config.file or "the configuration"
        self._maintenance_key = f"silences.max_maintenance in {where}"
        self._mute_key = f"silences.max_mute in {where}"

    # -- maintenance ------------------------------------------------------------------------------

    def start_maintenance(
        self, cluster: str, *, until: When = None, duration: When = None, reason: str, created_by: str
    ) -> Silence:
        """Silence every alert of ``cluster`` until ``until`` (a time) or for ``duration``.

        A cluster already in maintenance (by khp) gets the new window instead of a second one.
        """
        now = self.clock()
        request = maintenance_request(
            cluster,
            until=until,
            duration=duration,
            reason=reason,
            created_by=created_by,
            now=now,
            limit=self.config.silences.max_maintenance,
            limit_key=self._maintenance_key,
            known_clusters=self._known_clusters(cluster),
            clusters_dir=self._clusters_dir(),
        )
        return self._replace(request, [s for s in self._live(request.cluster) if s.kind == MAINTENANCE])

    def extend(self, silence_id: str, *, until: When = None, duration: When = None) -> Silence:
        """Move the end of a live maintenance window or mute: to ``until``, or ``duration`` past its end.

        The new end is bounded from now by ``silences.max_maintenance`` / ``silences.max_mute``.
        Everything else about the silence (matchers, start, author, comment) stays as it was.
        """
        raw = self._raw(silence_id)
        silence = self._decoded(raw)
        what = f"extending silence {silence.id}"
        if not silence.live:
            raise InvalidSilence(f"{what}: it already ended at {format_time(silence.ends_at)}; start a new one instead")
        limit, key = self._limit(silence.kind)
        end = extended_end(self.clock(), silence.ends_at, until, duration, limit=limit, limit_key=key, what=what)
        body: dict[str, Any] = {
            name: raw[name] for name in ("id", "matchers", "startsAt", "createdBy", "comment") if name in raw
        }
        body["endsAt"] = wire_time(end)
        return dataclasses.replace(silence, id=self.client.post(body), ends_at=end)

    def end(self, silence_id: str) -> Silence | None:
        """End one silence now; one that already ended is fine. The silence, if khp can decode it."""
        raw = self._raw(silence_id)
        if (raw.get("status") or {}).get("state") != "expired":
            self.client.expire(str(raw.get("id") or silence_id.strip()))
        silence = decode(raw)
        if silence is None:
            return None
        return dataclasses.replace(silence, state="expired", ends_at=min(silence.ends_at, self.clock()))

    def end_maintenance(self, cluster: str) -> list[Silence]:
        """End every live maintenance window of ``cluster``; the ones ended (none is fine)."""
        return self._expire_all(s for s in self._live(cluster.strip()) if s.kind == MAINTENANCE)

    # -- mutes ------------------------------------------------------------------------------------

    def mute(
        self,
        check: str,
        cluster: str,
        level: str,
        *,
        until: When = None,
        duration: When = None,
        created_by: str,
        reason: str = "",
    ) -> Silence:
        """Send only critical (``cri``) or nothing (``off``) of ``check`` on ``cluster`` for a while.

        Muting the same check and cluster again replaces khp's earlier mute.
        """
        now = self.clock()
        request = mute_request(
            check,
            cluster,
            level,
            until=until,
            duration=duration,
            reason=reason,
            created_by=created_by,
            now=now,
            limit=self.config.silences.max_mute,
            limit_key=self._mute_key,
            known_clusters=self._known_clusters(cluster),
            known_checks=self.known_checks(),
            clusters_dir=self._clusters_dir(),
        )
        earlier = [s for s in self._live(request.cluster, request.check) if s.kind in MUTE_LEVELS]
        return self._replace(request, earlier)

    def unmute(self, check: str, cluster: str) -> list[Silence]:
        """End every live mute (cri or off) of ``check`` on ``cluster``; the ones ended (none is fine)."""
        live = self._live(cluster.strip(), check.strip())
        return self._expire_all(s for s in live if s.kind in MUTE_LEVELS)

    # -- reading ----------------------------------------------------------------------------------

    def list_silences(self, cluster: str | None = None, kind: str | None = None) -> list[Silence]:
        """Live (active or pending) maintenance windows and mutes, by cluster, kind and check."""
        if kind is not None and kind not in KINDS:
            raise InvalidSilence(f"unknown silence kind {kind!r}; one of {', '.join(KINDS)}")
        found = [s for s in self._live(cluster) if kind is None or s.kind == kind]
        return sorted(found, key=lambda s: (s.cluster, KINDS.index(s.kind), s.check or "", s.ends_at))

    def get(self, silence_id: str) -> Silence:
        """One silence by ID; ``InvalidSilence`` if it is no maintenance window or mute."""
        return self._decoded(self._raw(silence_id))

    def known_checks(self) -> set[str]:
        """The check names ``mute`` accepts."""
        if self._checks is None:
            self._checks = configured_checks(self.config)
        return self._checks

    def known_clusters(self) -> set[str]:
        """Clusters with a cluster file, seen by the caller, or with an alert in Alertmanager."""
        return self._known_clusters(None)

    # -- helpers ----------------------------------------------------------------------------------

    def _known_clusters(self, wanted: str | None) -> set[str]:
        known = set(self.config.clusters) | self._seen
        if wanted is not None and wanted.strip() in known:
            return known  # no need to ask Alertmanager
        for alert in self.client.alerts():
            cluster = (alert.get("labels") or {}).get("cluster")
            if cluster:
                known.add(str(cluster))
        return known

    def _clusters_dir(self) -> str:
        files = [cluster.file for cluster in self.config.clusters.values() if cluster.file]
        return str(Path(files[0]).parent) if files else "clusters_dir"

    def _limit(self, kind: str) -> tuple[float, str]:
        if kind == MAINTENANCE:
            return self.config.silences.max_maintenance, self._maintenance_key
        return self.config.silences.max_mute, self._mute_key

    def _decoded(self, raw: dict[str, Any]) -> Silence:
        silence = decode(raw)
        if silence is None:
            raise InvalidSilence(
                f"silence {raw.get('id')} is neither a maintenance window nor a mute (its matchers are"
                f" {_show_matchers(raw)}); change it in Alertmanager's UI"
            )
        return silence

    def _raw(self, silence_id: str) -> dict[str, Any]:
        wanted = (silence_id or "").strip()
        if not is_silence_id(wanted):
            raise InvalidSilence(
                f"{silence_id!r} is not a silence ID (IDs look like 5ca5dfb4-05ad-4885-b9d4-8698d527f9f3;"
                " list the silences to see them)"
            )
        raw = self.client.silence(wanted)
        if raw is None:
            raise SilenceNotFound(f"no Alertmanager knows silence {wanted}; list the silences to find it")
        return raw

    def _live(self, cluster: str | None, check: str | None = None) -> list[Silence]:
        labels = {"cluster": cluster} if cluster else {}
        if check:
            labels["alertname"] = check
        found = []
        for raw in self.client.silences(**labels):
            silence = decode(raw)
            if silence is None or not silence.live:
                continue
            if (cluster is None or silence.cluster == cluster) and (check is None or silence.check == check):
                found.append(silence)
        return found

    def _replace(self, request: Maintenance | Mute, earlier: list[Silence]) -> Silence:
        """Post ``request``, as an update of khp's earlier silence of the same thing if there is one.

        Alertmanager updates in place when the matchers are equal, and otherwise (cri -> off)
        ends the earlier silence and answers a new ID.
        """
        ours = [s for s in earlier if s.managed]
        previous = ours[0] if ours else None
        starts_at = previous.starts_at if previous is not None and previous.state == "active" else request.starts_at
        request = dataclasses.replace(request, starts_at=starts_at)
        new_id = self.client.post(request.body(previous.id if previous is not None else None))
        for stale in ours[1:]:
            self.client.expire(stale.id)
        return Silence(
            id=new_id,
            kind=request.kind,
            cluster=request.cluster,
            check=request.check,
            starts_at=starts_at,
            ends_at=request.ends_at,
            created_by=request.created_by,
            reason=request.reason,
            state="active",
            managed=True,
        )

    def _expire_all(self, silences: Iterable[Silence]) -> list[Silence]:
        now = self.clock()
        ended = []
        for silence in silences:
            self.client.expire(silence.id)
            ended.append(dataclasses.replace(silence, state="expired", ends_at=min(silence.ends_at, now)))
        return ended


def _show_matchers(raw: dict[str, Any]) -> str:
    parts = []
    for m in raw.get("matchers") or ():
        op = ("=~" if m.get("isRegex") else "=") if m.get("isEqual", True) else ("!~" if m.get("isRegex") else "!=")
        parts.append(f'{m.get("name")}{op}"{m.get("value")}"')
    return "{" + ", ".join(parts) + "}"
