"""Stale feeds: the newest sample per source kind and cluster, remembered, and one "Data stale" per feed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evaluator import Evaluator, Monitor
from evaluator.testing import ClusterSetup, build_config, log, metric, process
from khp.configuration import Config
from khp.records import MetricRow
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources
from khp.store import FeedLog, Store

from .helpers import AT, write_rows

DISK = "host/os/disk.used_percent"
MEMORY = "host/os/memory.used_percent"
RS = "hbase/regionserver/responseToo*"


class Hosts(Monitor):
    def run(self) -> None:
        self.emit("Disk", warning=self.all(DISK) > 90)
        self.emit("Memory", warning=self.all(MEMORY) > 90)


class Slow(Monitor):
    def run(self) -> None:
        self.emit("Slow", warning=self.log_count(RS) > 10)


class Fatal(Monitor):
    def run(self) -> None:
        self.emit("Fatal", warning=self.process_count("FATAL") > 0)


def config(**evaluation: float) -> Config:
    base = build_config(clusters={"alpha": ClusterSetup(), "beta": ClusterSetup()})
    return dataclasses.replace(base, evaluation=dataclasses.replace(base.evaluation, **evaluation))


def sources(store: Store) -> Sources:
    return Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))


def stale(problems: list) -> list[tuple[str | None, str, str]]:
    return sorted((p.cluster, p.monitor, p.severity) for p in problems if p.check == "Data stale")


def test_a_feed_that_stops_is_one_data_stale_per_cluster_not_a_gap_per_check(store: Store) -> None:
    everyone = [metric(p, 50, cluster=c, host=h) for p in (DISK, MEMORY) for c in ("alpha", "beta") for h in "xy"]
    write_rows(store, everyone)
    beta_goes_on = [
        MetricRow(AT + 60 * minute, "beta", "x", "host", "os", name, 50)
        for minute in range(1, 60)
        for name in ("disk.used_percent", "memory.used_percent")
    ]
    write_rows(store, beta_goes_on)
    with Evaluator(config(), sources(store), [Hosts]) as evaluator:
        fresh = evaluator.cycle(at=AT)
        gap = evaluator.cycle(at=AT + 20 * 60)  # alpha's rows are out of the window, but not stale yet
        late = evaluator.cycle(at=AT + 31 * 60)  # three windows (30m) without alpha
    assert stale(fresh.problems) == stale(gap.problems) == []
    assert not gap.covers(("Disk", "Hosts", "alpha", "x", "warning"))  # no data: held, not resolved
    assert stale(late.problems) == [("alpha", "metrics feed", "critical")]
    (problem,) = [p for p in late.problems if p.check == "Data stale"]
    assert "nothing from the metrics source for alpha newer than 2026-11-29T09:59:00Z" in problem.description
    assert (problem.host, problem.pending, problem.service) == (None, 0.0, "khp")
    assert late.covers(("Data stale", "metrics feed", "beta", None, "critical"))  # fine: resolves if it was stale
    assert not late.covers(("Data stale", "metrics feed", "alpha", None, "critical"))


def test_the_newest_time_survives_a_restart_in_the_store_file(store: Store, tmp_path: Path) -> None:
    write_rows(store, [metric(DISK, 50, host="x")])
    with Evaluator(config(), sources(store), [Hosts], feeds=_feeds(tmp_path)) as evaluator:
        assert stale(evaluator.cycle(at=AT).problems) == []
    with Evaluator(config(), sources(store), [Hosts], feeds=_feeds(tmp_path)) as restarted:
        assert stale(restarted.cycle(at=AT + 3600).problems) == [("alpha", "metrics feed", "critical")]
    with Evaluator(config(), sources(store), [Hosts]) as forgetful:  # without the log it would not know
        assert stale(forgetful.cycle(at=AT + 3600).problems) == []


def _feeds(path: Path):  # type: ignore[no-untyped-def]
    from evaluator._feeds import Feeds

    return Feeds(FeedLog(path / "feeds.db"))


def test_stale_after_is_set_globally_and_per_cluster(store: Store) -> None:
    write_rows(store, [metric(DISK, 50, cluster=c, host="x") for c in ("alpha", "beta")])
    base = config(stale_after=3600.0)
    clusters = dict(base.clusters)
    clusters["beta"] = dataclasses.replace(clusters["beta"], stale_after=900.0)
    own = dataclasses.replace(base, clusters=clusters)
    with Evaluator(own, sources(store), [Hosts]) as evaluator:
        evaluator.cycle(at=AT)
        later = evaluator.cycle(at=AT + 1800)
    assert stale(later.problems) == [("beta", "metrics feed", "critical")]


def test_a_log_feed_with_no_matching_line_is_fresh(store: Store) -> None:
    write_rows(store, [log(RS, "Flushed region in 10ms", host="rs1", ago=f"{m}m") for m in range(0, 40, 5)])
    with Evaluator(config(), sources(store), [Slow]) as evaluator:
        evaluator.cycle(at=AT - 3600)  # an hour ago: the first lines were seen
        now = evaluator.cycle(at=AT)
        silent = evaluator.cycle(at=AT + 3600)
    assert stale(now.problems) == []
    assert stale(silent.problems) == [("alpha", "logs feed", "critical")]


def test_a_process_feed_goes_stale_too(store: Store) -> None:
    write_rows(store, [process("hdfs-datanode", host="dn1")])
    with Evaluator(config(), sources(store), [Fatal]) as evaluator:
        evaluator.cycle(at=AT)
        assert stale(evaluator.cycle(at=AT + 3600).problems) == [("alpha", "processes feed", "critical")]


def test_a_cluster_without_a_file_is_forgotten_after_the_inventory_window(store: Store) -> None:
    write_rows(store, [metric(DISK, 50, cluster="gamma", host="x"), metric(DISK, 50, cluster="alpha", host="x")])
    with Evaluator(config(), sources(store), [Hosts]) as evaluator:
        evaluator.cycle(at=AT)
        day = evaluator.cycle(at=AT + 3600)
        later = evaluator.cycle(at=AT + 2 * 86400)
    assert stale(day.problems) == [("alpha", "metrics feed", "critical"), ("gamma", "metrics feed", "critical")]
    assert stale(later.problems) == [("alpha", "metrics feed", "critical")]  # alpha has a cluster file
    assert later.covers(("Data stale", "metrics feed", "gamma", None, "critical"))  # let go of, explicitly


def test_a_cycle_scoped_to_some_clusters_judges_only_their_feeds(store: Store) -> None:
    write_rows(store, [metric(DISK, 50, cluster=c, host="x") for c in ("alpha", "beta")])
    with Evaluator(config(), sources(store), [Hosts]) as evaluator:
        evaluator.cycle(at=AT)
        scoped = evaluator.cycle(at=AT + 3600, clusters=["beta"])
    assert stale(scoped.problems) == [("beta", "metrics feed", "critical")]
