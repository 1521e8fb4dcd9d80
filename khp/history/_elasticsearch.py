"""The production history: monthly Elasticsearch indices, written in bulk through a durable spool.

Every recorded event goes into the spool first, then to ``PUT /_bulk`` in the order it was
recorded; it leaves the spool once Elasticsearch stored it (2xx) or refused it for good
(other 4xx: logged and written to the dead-letter file). Items answered 429 or 5xx, and whole
requests that fail (down, timeout, 401...), stay in the spool and are sent again by a
background thread as soon as a pause is over (it grows from 5 s to at most 20 s while
Elasticsearch stays unavailable, so the spool drains within 30 s of it answering again, with
no new event needed), on the next ``record``, on ``flush``, and at the next start. Document ids
come from the events, so a replay never duplicates one.
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.parse
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import elastic_transport
import elasticsearch

from khp.sources._elasticsearch import _client, _error_text, _innermost

from ._documents import bulk_operations, bulk_outcomes, event_of, index_template, indices_between, search_body
from ._errors import HistoryError, HistoryUnavailable
from ._event import HistoryEvent
from ._history import History
from ._settings import ElasticsearchHistorySettings
from ._spool import DeadLetter, DeadLetters, Spool

log = logging.getLogger("history")
MAX_RESULT_WINDOW = 10000
FIRST_PAUSE = 5.0  # seconds without sending after Elasticsearch failed; doubles up to MAX_PAUSE
MAX_PAUSE = 20.0
DRAIN_EVERY = 5.0  # seconds between the background thread's looks at the spool
BUSY_WAIT = 1.0  # seconds ``record`` waits for a drain under way before leaving its events to it


@dataclass(frozen=True)
class _Page:
    """One search answer: its hits, how many matched, and the first and last time among those."""

    hits: list[Mapping[str, Any]]
    total: int
    first: float
    last: float


class ElasticsearchHistory(History):
    """History events in ``<index_prefix>-YYYY.MM`` indices; ``read_only`` neither installs nor writes."""

    name = "elasticsearch"

    def __init__(
        self,
        settings: ElasticsearchHistorySettings,
        client: elasticsearch.Elasticsearch | None = None,
        *,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
        drain_every: float | None = DRAIN_EVERY,
    ) -> None:
        self.settings = settings
        self.client = client if client is not None else _client(settings.connection)
        self.server = f"elasticsearch {', '.join(settings.connection.hosts)}"
        self.clock = clock
        self.last_error = ""
        self.spool = None if read_only else Spool(settings.spool)
        self.dead_letters = DeadLetters(settings.dead_letter, clock)
        self._lock = threading.Lock()
        self._template = False
        self._pause = 0.0
        self._resume_at = 0.0
        self._stop = threading.Event()
        self._drainer: threading.Thread | None = None
        if self.spool is not None:
            try:
                with self._lock:
                    self._install_template(at_start=True)
                    self._drain()
            except BaseException:
                self.spool.close()
                self.client.close()
                raise
            if drain_every:
                self._drainer = threading.Thread(
                    target=self._drain_in_background, args=(drain_every,), name="khp-history-spool", daemon=True
                )
                self._drainer.start()

    @property
    def pending(self) -> int:
        """How many events wait in the spool."""
        return len(self.spool) if self.spool is not None else 0

    def record(self, events: Sequence[HistoryEvent]) -> None:
        """Spool ``events``, then send the spool unless a recent failure paused sending.

        It waits for Elasticsearch: at worst ``timeout`` x (``retries`` + 1) when it hangs, once
        per pause. Callers that must not wait can call it from a worker thread.
        """
        spool = self._writable()
        spool.append(events)
        if not self._lock.acquire(timeout=BUSY_WAIT):
            return  # a drain under way (Elasticsearch slow): the background thread sends these too
        try:
            if self.clock() >= self._resume_at:
                self._drain()
        finally:
            self._lock.release()

    def flush(self) -> None:
        """Send everything in the spool now (whatever pause is on), until it is empty or a send fails."""
        if self.spool is None:
            return
        with self._lock:
            self._drain()

    def events(
        self, since: float, until: float, cluster: str | None = None, kinds: Collection[str] | None = None
    ) -> list[HistoryEvent]:
        if until <= since:
            return []
        index = indices_between(self.settings.index_prefix, since, until)
        hits: list[Mapping[str, Any]] = []
        self._collect(index, since, until, cluster, kinds, hits)
        found: dict[str, HistoryEvent] = {}
        for hit in hits:
            try:
                found[str(hit.get("_id"))] = event_of(hit.get("_source") or {})
            except ValueError as exc:
                log.warning("%s: skipping document %s of %s: %s", self.server, hit.get("_id"), hit.get("_index"), exc)
        wanted = (lambda e: True) if kinds is None else (lambda e: e.kind in kinds)
        chosen = (e for e in found.values() if since <= e.time < until and wanted(e))
        return sorted(chosen, key=HistoryEvent.order)

    def close(self) -> None:
        self._stop.set()
        if self._drainer is not None:
            self._drainer.join(timeout=60)
        try:
            self.flush()
        finally:
            if self.spool is not None:
                self.spool.close()
            self.client.close()

    # -- writing -------------------------------------------------------------------------------

    def _drain_in_background(self, every: float) -> None:
        """Send what the spool holds once each pause is over, whether or not new events come."""
        assert self.spool is not None
        while not self._stop.wait(every):
            try:
                if not len(self.spool) or self.clock() < self._resume_at:
                    continue
                with self._lock:
                    if self.clock() >= self._resume_at:
                        self._drain()
            except HistoryError as exc:  # the spool file itself; the next look tries again
                log.warning("history spool: %s", exc)
            except Exception:  # never end the thread: the events are safe in the spool
                log.exception("history spool: draining failed; trying again in %gs", every)

    def _writable(self) -> Spool:
        if self.spool is None:
            raise HistoryError(f"{self.server}: this history was opened read-only; open it with read_only=False")
        return self.spool

    def _install_template(self, at_start: bool = False) -> bool:
        prefix = self.settings.index_prefix
        path = f"/_index_template/{urllib.parse.quote(prefix, safe='')}"
        try:
            self._request("PUT", path, index_template(prefix), f"installing the index template {prefix!r}")
        except HistoryUnavailable as exc:
            self._failed(exc, "events are spooled until it answers")
            return False
        except HistoryError as exc:
            if at_start:
                raise
            self._failed(exc, "events are spooled until this is fixed")
            return False
        self._template = True
        return True

    def _drain(self) -> None:
        """Send the spool in order, one bulk at a time; stop at the first request or item to retry."""
        assert self.spool is not None
        if not self._template and not self._install_template():
            return
        while batch := self.spool.head(self.settings.bulk_size):
            events = [event for _, event in batch]
            what = f"bulk write of {len(events)} history events"
            try:
                answer = self._request("PUT", "/_bulk", bulk_operations(self.settings.index_prefix, events), what)
                try:
                    outcomes = bulk_outcomes(answer, len(batch))
                except ValueError as exc:
                    raise HistoryError(f"{self.server}: {what}: {exc}") from None
            except HistoryError as exc:
                self.spool.retry_later([seq for seq, _ in batch], str(exc))
                self._failed(exc, f"events waiting in the spool {self.spool.path}: {len(self.spool)}")
                return
            refused = [
                (seq, DeadLetter(event, item.index, item.status, item.error))
                for (seq, event), item in zip(batch, outcomes, strict=True)
                if item.refused
            ]
            retry = [(seq, item) for (seq, _), item in zip(batch, outcomes, strict=True) if item.retry]
            try:
                self.dead_letters.add([letter for _, letter in refused])  # before they leave the spool
            except HistoryError as exc:
                self.spool.remove([seq for (seq, _), item in zip(batch, outcomes, strict=True) if item.stored])
                self._failed(exc, "events Elasticsearch refused stay in the spool until it can be written")
                return
            for _, letter in refused:
                log.error(
                    "%s refused history event %s for good (%s %s); it is kept in %s",
                    self.server,
                    letter.event.identity(),
                    letter.status,
                    letter.error,
                    self.dead_letters.path,
                )
            retried = {seq for seq, _ in retry}
            self.spool.remove([seq for seq, _ in batch if seq not in retried])
            if retry:
                reason = f"{retry[0][1].status} {retry[0][1].error}"
                self.spool.retry_later(retried, reason)
                self._failed(
                    HistoryUnavailable(f"{self.server}: {what}: {len(retry)} to retry ({reason})"),
                    f"events waiting in the spool {self.spool.path}: {len(self.spool)}",
                )
                return
            self._pause, self._resume_at, self.last_error = 0.0, 0.0, ""

    def _failed(self, exc: HistoryError, consequence: str) -> None:
        self.last_error = str(exc)
        self._pause = min(MAX_PAUSE, self._pause * 2 or FIRST_PAUSE)
        self._resume_at = self.clock() + self._pause
        log.warning("%s; %s", exc, consequence)

    # -- reading -------------------------------------------------------------------------------

    def _collect(
        self,
        index: str,
        since: float,
        until: float,
        cluster: str | None,
        kinds: Collection[str] | None,
        out: list[Mapping[str, Any]],
    ) -> None:
        """Every hit in ``[since, until)``: a range with more than a page is split in two where its events are."""
        size = self.settings.page_size
        page = self._search(index, search_body(since, until, cluster, kinds, size))
        if len(page.hits) >= page.total:
            out.extend(page.hits)
            return
        middle = page.first + (page.last - page.first) / 2
        if page.first < middle:
            self._collect(index, page.first, middle, cluster, kinds, out)
            self._collect(index, middle, until, cluster, kinds, out)
            return
        # More than a page at one instant: page through it, as far as the server lets us.
        if page.total > MAX_RESULT_WINDOW:
            raise HistoryError(
                f"{self.server}: {page.total} history events at one instant ({page.first}); more than "
                f"Elasticsearch returns ({MAX_RESULT_WINDOW}) for one query"
            )
        out.extend(page.hits)
        for start in range(len(page.hits), page.total, size):
            out.extend(self._search(index, search_body(since, until, cluster, kinds, size, start)).hits)

    def _search(self, index: str, body: Mapping[str, Any]) -> _Page:
        path = f"/{urllib.parse.quote(index, safe=',*')}/_search"
        what = f"reading history events from {index!r}"
        answer = self._request("POST", path, body, what)
        shards = answer.get("_shards") or {}
        if answer.get("timed_out") or shards.get("failed", 0) > 0:
            reason = _error_text(((shards.get("failures") or [{}])[0]).get("reason"))
            raise HistoryUnavailable(
                f"{self.server}: {what}: partial answer ({shards.get('failed', 0)} of {shards.get('total', '?')} "
                f"shards failed{', timed out' if answer.get('timed_out') else ''}{': ' + reason if reason else ''})"
            )
        hits = answer.get("hits") or {}
        total = hits.get("total") or {}
        listed = list(hits.get("hits") or [])
        aggs = answer.get("aggregations") or {}
        first, last = ((aggs.get(name) or {}).get("value") for name in ("first", "last"))
        return _Page(
            listed,
            int(total.get("value", len(listed)) if isinstance(total, Mapping) else total),
            float(first) if first is not None else 0.0,
            float(last) if last is not None else 0.0,
        )

    # -- the wire ------------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any, what: str) -> Mapping[str, Any]:
        options = self.settings.connection
        content = options.media_type
        if path == "/_bulk":
            content = f"application/vnd.elasticsearch+x-ndjson; compatible-with={options.version}"
        headers = {"accept": options.media_type, "content-type": content}
        try:
            response = self.client.perform_request(method, path, headers=headers, body=body)
        except (elasticsearch.ApiError, elastic_transport.TransportError) as exc:
            raise self._explain(exc, what) from None
        if not isinstance(response.body, Mapping):
            raise HistoryError(f"{self.server}: {what}: the answer is not a JSON object; is it Elasticsearch?")
        return response.body

    def _explain(self, exc: Exception, what: str) -> HistoryError:
        where = self.settings.where
        said = f"{self.server}: {what}"
        if isinstance(exc, elasticsearch.UnsupportedProductError):
            return HistoryError(
                f"{said}: the answer lacks 'X-Elastic-Product: Elasticsearch'; check that {where}.hosts "
                "points at Elasticsearch 7.14 or later"
            )
        if isinstance(exc, elasticsearch.ApiError):
            status = exc.meta.status
            said = f"{said}: Elasticsearch answered {status} {_error_text(exc.body) or exc.message}"
            if status == 429 or status >= 500:
                return HistoryUnavailable(f"{said}, still after {self.settings.connection.retries} retries")
            if status == 406 or "media_type_header_exception" in str(exc.body):
                return HistoryError(f"{said}; set {where}.version to the server's major version (7 or 8)")
            if status in (401, 403):
                return HistoryError(
                    f"{said}; check {where}.auth: the user or API key needs 'manage_index_templates' on the cluster "
                    f"and 'create_index', 'write' and 'read' on {self.settings.index_prefix}-*"
                )
            return HistoryError(said)
        if isinstance(exc, elastic_transport.ConnectionTimeout):
            return HistoryUnavailable(f"{said}: no answer within {self.settings.connection.timeout:g}s")
        if isinstance(exc, elastic_transport.ConnectionError):
            return HistoryUnavailable(f"{said}: cannot connect ({_innermost(exc)}); is {where}.hosts right?")
        return HistoryUnavailable(f"{said}: {exc}")
