"""The Elasticsearch history against the loopback stand-in, through the real elasticsearch-py 8 client."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from khp.history import HistoryError, HistoryEvent, open_history
from khp.history._elasticsearch import FIRST_PAUSE, ElasticsearchHistory
from khp.history._spool import Spool
from tests.history.conftest import Clock, project_config
from tests.history.planted import START, fired, healed, labels
from tests.standins.elasticsearch import ElasticsearchStandIn

DISK = labels("Disk full", "alpha", "warning", host="dn1")
SLOTS = labels("Task slot usage", "beta", "critical")
NOVEMBER_LAST = dt.datetime(2026, 11, 30, 23, 59, tzinfo=dt.UTC).timestamp()
DECEMBER_FIRST = dt.datetime(2026, 12, 1, 0, 0, tzinfo=dt.UTC).timestamp()


def open_es(
    tmp_path: Path, es: ElasticsearchStandIn, clock: Clock | None = None, extra: str = "", read_only: bool = False
) -> ElasticsearchHistory:
    config = project_config(
        tmp_path,
        f"""
        type: elasticsearch
        elasticsearch:
          url: {es.url}
          version: {es.version}
          retries: 0
          timeout: 10s
          {extra}
        """,
    )
    history = open_history(config, read_only=read_only, clock=clock or Clock())
    assert isinstance(history, ElasticsearchHistory)
    return history


def stored(es: ElasticsearchStandIn) -> dict[str, dict]:
    """Every document id in the history indices with its source."""
    return {
        doc_id: doc
        for name, index in es.indices.items()
        if name.startswith("khp-")
        for doc_id, doc in index.docs.items()
    }


def bulks(es: ElasticsearchStandIn) -> list[list[dict]]:
    return [request.ndjson for request in es.requests if request.path == "/_bulk"]


def test_the_index_template_is_installed_once_at_start(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    history = open_es(tmp_path, es)
    (put,) = es.requests
    assert (put.method, put.path) == ("PUT", "/_index_template/khp-alert-history")
    assert put.headers["content-type"] == "application/vnd.elasticsearch+json; compatible-with=8"
    template = es.templates["khp-alert-history"]
    assert template["index_patterns"] == ["khp-alert-history-*"]
    properties = template["template"]["mappings"]["properties"]
    assert properties["@timestamp"] == {"type": "date"}
    assert {
        properties[name]["type"] for name in ("kind", "key", "check", "monitor", "cluster", "host", "severity")
    } == {"keyword"}
    assert properties["value"]["type"] == properties["threshold"]["type"] == "double"
    history.record(healed(START, DISK))
    history.record(healed(START + 600, DISK))
    assert [r.path for r in es.requests].count("/_index_template/khp-alert-history") == 1
    history.close()


def test_events_go_to_the_monthly_index_of_their_own_time(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    history = open_es(tmp_path, es)
    history.record(
        [
            HistoryEvent.for_labels(NOVEMBER_LAST, "detected", DISK),
            HistoryEvent.for_labels(DECEMBER_FIRST, "healed", DISK),
        ]
    )
    assert sorted(es.indices) == ["khp-alert-history-2026.11", "khp-alert-history-2026.12"]
    assert [d["kind"] for d in es.indices["khp-alert-history-2026.11"].docs.values()] == ["detected"]
    assert [d["kind"] for d in es.indices["khp-alert-history-2026.12"].docs.values()] == ["healed"]
    mapping = es.indices["khp-alert-history-2026.12"].mapping
    assert (mapping["cluster"], mapping["@timestamp"], mapping["value"]) == ("keyword", "date", "double")  # template
    assert [e.kind for e in history.events(NOVEMBER_LAST, DECEMBER_FIRST + 1)] == ["detected", "healed"]
    search = es.requests[-1]
    assert search.path == "/khp-alert-history-2026.11*,khp-alert-history-2026.12*/_search"
    history.close()


def test_the_bulk_body(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    history = open_es(tmp_path, es)
    events = fired(START, DISK)
    history.record(events)
    bulk = es.requests[-1]
    assert (bulk.method, bulk.path) == ("PUT", "/_bulk")
    assert bulk.headers["content-type"] == "application/vnd.elasticsearch+x-ndjson; compatible-with=8"
    assert bulk.headers["accept"] == "application/vnd.elasticsearch+json; compatible-with=8"
    assert bulk.body.endswith(b"\n") and len(bulk.body.splitlines()) == 2 * len(events)
    lines = bulk.ndjson
    assert lines[0] == {"index": {"_index": "khp-alert-history-2026.11", "_id": events[0].identity()}}
    assert lines[1] == {
        "@timestamp": "2026-11-29T10:00:00.000Z",
        "time": START,
        "kind": "detected",
        "key": events[0].key,
        "check": "Disk full",
        "monitor": "host",
        "cluster": "alpha",
        "host": "dn1",
        "severity": "warning",
        "value": 95.0,
        "threshold": 90.0,
        "channel": "",
        "room": "",
        "actor": "",
        "detail": "",
    }
    assert [line["index"]["_id"] for line in lines[::2]] == [e.identity() for e in events]  # in recorded order
    assert lines[5]["room"] == "kakaowork:10001"
    assert history.events(START, START + 3600) == events
    assert history.pending == 0
    history.close()


def test_failed_items_retryable_ones_replayed_later_a_permanent_one_dead_lettered(
    tmp_path: Path, es: ElasticsearchStandIn
) -> None:
    history = open_es(tmp_path, es)
    events = fired(START, DISK) + healed(START + 60, SLOTS)  # 6 events
    refused = {
        events[1].identity(): (429, "es_rejected_execution_exception", "rejected execution of bulk (queue full)"),
        events[3].identity(): (503, "unavailable_shards_exception", "primary shard is not active"),
        events[4].identity(): (400, "mapper_parsing_exception", "failed to parse field [value] of type [double]"),
    }
    es.bulk_failure = lambda index, doc_id, source: refused.get(doc_id)
    history.record(events)
    assert set(stored(es)) == {events[0].identity(), events[2].identity(), events[5].identity()}
    assert history.pending == 2
    (letter,) = history.dead_letters.read()
    assert letter["status"] == 400 and letter["id"] == events[4].identity()
    assert letter["error"] == "mapper_parsing_exception: failed to parse field [value] of type [double]"
    assert letter["index"] == "khp-alert-history-2026.11"
    assert HistoryEvent.from_dict(letter["event"]) == events[4]
    assert json.loads((tmp_path / "var/khp-history-dead-letter.jsonl").read_text())["id"] == letter["id"]

    es.bulk_failure = None
    history.flush()
    replay = bulks(es)[-1]
    assert [line["index"]["_id"] for line in replay[::2]] == [events[1].identity(), events[3].identity()]  # in order
    assert set(stored(es)) == {e.identity() for e in events} - {events[4].identity()}
    assert history.pending == 0 and len(history.dead_letters.read()) == 1
    sent = len(es.requests)
    history.flush()
    assert len(es.requests) == sent  # nothing left to send
    history.close()


def test_an_outage_spools_then_everything_is_replayed_once(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    clock = Clock()
    history = open_es(tmp_path, es, clock)
    first = healed(START, DISK)
    history.record(first)
    es.outage = 503
    during = fired(START + 600, DISK)
    history.record(during[:2])  # Elasticsearch refuses: kept in the spool, no error
    assert history.pending == 2 and "503" in history.last_error
    attempts = len(es.requests)
    history.record(during[2:])  # within the pause: spooled without trying
    assert len(es.requests) == attempts and history.pending == 4
    es.outage = None
    clock.now += FIRST_PAUSE
    later = healed(START + 7200, SLOTS)
    history.record(later)  # the pause is over: the spool goes first, in order, then the new events
    assert history.pending == 0 and history.last_error == ""
    replayed = [line["index"]["_id"] for bulk in bulks(es)[1:] for line in bulk[::2]]
    assert replayed[-6:] == [e.identity() for e in during + later]
    assert history.events(START, START + 10000) == sorted(first + during + later, key=HistoryEvent.order)
    before = stored(es)
    history.record(during)  # the same events again: the same ids, no duplicates
    assert stored(es) == before and len(before) == 8
    history.close()


def test_events_spooled_at_close_are_replayed_at_the_next_start(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    history = open_es(tmp_path, es)
    es.outage = 502
    events = fired(START, SLOTS)
    history.record(events)
    history.close()  # the last flush fails too: the events stay in the spool file
    assert stored(es) == {}
    es.outage = None
    reopened = open_es(tmp_path, es)
    assert reopened.pending == 0
    assert reopened.events(START, START + 3600) == events
    reopened.close()


def test_elasticsearch_down_at_start_gets_the_template_and_the_events_later(tmp_path: Path) -> None:
    es = ElasticsearchStandIn(version=7).start()
    es.outage = 503
    history = open_es(tmp_path, es)  # no error: the template is retried before the next bulk
    assert es.templates == {}
    history.record(healed(START, DISK))
    assert history.pending == 2
    es.outage = None
    history.flush()
    assert "khp-alert-history" in es.templates and history.pending == 0
    template, bulk = [r for r in es.requests if r.method == "PUT"][-2:]
    assert template.path == "/_index_template/khp-alert-history" and bulk.path == "/_bulk"
    assert bulk.headers["content-type"] == "application/vnd.elasticsearch+x-ndjson; compatible-with=7"
    assert es.indices["khp-alert-history-2026.11"].mapping["key"] == "keyword"
    history.close()
    es.stop()


def test_an_unreachable_server_spools_too(tmp_path: Path) -> None:
    es = ElasticsearchStandIn().start()
    es.stop()  # nothing listens on its port any more
    history = open_es(tmp_path, es)
    history.record(healed(START, DISK))
    assert history.pending == 2 and "cannot connect" in history.last_error
    with pytest.raises(HistoryError, match="cannot connect"):
        history.events(START, START + 60)
    history.close()  # tries once more, in vain: the events stay in the spool
    spool = Spool(tmp_path / "var/khp-history-spool.db")
    assert [event.kind for _, event in spool.head(10)] == ["detected", "healed"]
    spool.close()


def test_a_refused_template_at_start_is_an_error_that_says_what_to_check(
    tmp_path: Path, es: ElasticsearchStandIn
) -> None:
    es.fail_next(403)
    with pytest.raises(HistoryError) as caught:
        open_es(tmp_path, es)
    message = str(caught.value)
    assert "installing the index template 'khp-alert-history'" in message
    assert "403 security_exception" in message and "history.elasticsearch.auth" in message


def test_reading_splits_ranges_larger_than_a_page(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    history = open_es(tmp_path, es, extra="page_size: 3")
    spread = [
        HistoryEvent.for_labels(START + n * 60, "detected", labels("Disk full", "alpha", "warning", f"dn{n}"))
        for n in range(10)
    ]
    instant = [
        HistoryEvent.for_labels(START + 900, "detected", labels("Disk full", "beta", "warning", f"dn{n}"))
        for n in range(7)
    ]
    history.record(spread + instant)
    found = history.events(START, START + 3600)
    assert found == sorted(spread + instant, key=HistoryEvent.order)
    searches = [r.json for r in es.requests if r.path.endswith("/_search")]
    assert all(body["size"] == 3 and body["track_total_hits"] is True for body in searches)
    assert any(body.get("from") == 3 for body in searches)  # 7 events at one instant: paged
    assert history.events(START, START + 3600, cluster="beta") == sorted(instant, key=HistoryEvent.order)
    assert history.events(START, START + 3600, kinds=["healed"]) == []
    assert history.events(START + 60, START + 120) == [spread[1]]
    history.close()


def test_read_only_installs_nothing_and_writes_nothing(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    history = open_es(tmp_path, es, read_only=True)
    assert es.requests == [] and not (tmp_path / "var/khp-history-spool.db").exists()
    assert history.events(START, START + 60) == []
    with pytest.raises(HistoryError, match="read-only"):
        history.record(healed(START, DISK))
    history.close()


def test_refused_events_stay_spooled_while_the_dead_letter_file_cannot_be_written(
    tmp_path: Path, es: ElasticsearchStandIn
) -> None:
    (tmp_path / "letters").mkdir()
    history = open_es(tmp_path, es, extra=f"dead_letter: {tmp_path / 'letters'}")  # a directory: not writable
    events = healed(START, DISK)
    es.bulk_failure = lambda index, doc_id, source: (
        (400, "mapper_parsing_exception", "bad") if source["kind"] == "healed" else None
    )
    history.record(events)  # no error: nothing is lost
    assert history.pending == 1 and "dead-letter" in history.last_error
    assert [doc["kind"] for doc in stored(es).values()] == ["detected"]
    (tmp_path / "letters").rmdir()
    history.flush()
    assert history.pending == 0
    assert [letter["event"]["kind"] for letter in history.dead_letters.read()] == ["healed"]
    history.close()


def test_the_spool_drains_by_itself_once_elasticsearch_answers_again(tmp_path: Path, es: ElasticsearchStandIn) -> None:
    import time

    config = project_config(tmp_path, f"type: elasticsearch\nelasticsearch: {{url: {es.url}, retries: 0}}\n")
    history = open_history(config)  # the real clock and the background thread, as in production
    try:
        es.outage = 503
        events = fired(START, DISK)
        history.record(events)
        assert history.pending == len(events)
        es.outage = None  # and no event comes after this: nothing calls record or flush
        deadline = time.monotonic() + 90  # the pauses (at most 20 s) and the looks (every 5 s) fit in 30 s
        while history.pending and time.monotonic() < deadline:
            time.sleep(0.2)
        assert history.pending == 0
        assert set(stored(es)) == {event.identity() for event in events}
    finally:
        history.close()
