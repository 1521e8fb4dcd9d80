"""The backtest's parts on their own: period, candidates, shared answers, check rules, progress, public API."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from types import MappingProxyType

import pytest

from evaluator import Monitor
from khp import backtest
from khp._config_check import findings
from khp.backtest import (
    BacktestError,
    HintRules,
    Kept,
    Override,
    Period,
    ProgressBar,
    Span,
    apply_overrides,
    apply_pending,
    hint_rules,
    parse_override,
    parse_pending,
)
from khp.backtest._checks import check_rules, literal_checks
from khp.backtest._faults import kept, lasting
from khp.backtest._shared import SharedAnswers
from khp.configuration import ClusterConfig, Config, ConfigError, Threshold, load_config
from khp.records import ProcessState
from khp.sources import LogQuery, MetricQuery, ProcessQuery, Sample, Sources

from .helpers import START

CONFIG = Config(
    file="khp.yml",
    thresholds=MappingProxyType({"cpu": Threshold(90, None), "disk": Threshold(15, 5)}),
    clusters=MappingProxyType(
        {"alpha": ClusterConfig("alpha", thresholds=MappingProxyType({"cpu": MappingProxyType({"warning": 70})}))}
    ),
)


def test_a_period_sits_on_the_grid_of_its_step() -> None:
    period = Period(START + 30, START + 3600 + 30, 60)
    assert (period.first, period.last, period.count) == (START + 60, START + 3600, 60)
    assert list(period)[:2] == [START + 60, START + 120]
    assert str(period) == "2026-11-29T10:01:00Z .. 2026-11-29T11:00:00Z every 1m"
    assert Period(START, START + 7 * 86400, 60).count == 10081
    with pytest.raises(BacktestError, match="the step is a positive duration"):
        Period(START, START + 60, 0)


def test_candidates_edit_a_copy_of_the_configuration() -> None:
    default = parse_override("cpu.warning=95", CONFIG)
    alpha = parse_override("alpha:cpu.warning=null", CONFIG)
    beta = parse_override("beta:disk.critical=2.5", CONFIG)
    assert (default, alpha, beta) == (
        Override("cpu", "warning", 95.0),
        Override("cpu", "warning", None, "alpha"),
        Override("disk", "critical", 2.5, "beta"),
    )
    assert [str(o) for o in (default, alpha, beta)] == [
        "cpu.warning=95",
        "alpha:cpu.warning=null",
        "beta:disk.critical=2.5",
    ]
    edited = apply_overrides(CONFIG, [default, alpha, beta])
    assert (edited.threshold("cpu", "alpha", "warning"), edited.threshold("cpu", "gamma", "warning")) == (None, 95.0)
    assert edited.threshold("disk", "beta", "critical") == 2.5 and edited.threshold("disk", "beta", "warning") == 15
    assert CONFIG.threshold("cpu", "alpha", "warning") == 70 and CONFIG.thresholds["cpu"].warning == 90
    assert "beta" not in CONFIG.clusters
    assert apply_overrides(CONFIG, []) is CONFIG
    assert (alpha.current(CONFIG), default.current(CONFIG)) == (70, 90)
    assert parse_override("cpu.critical=None", CONFIG).value is None


def test_pending_candidates() -> None:
    assert str(parse_pending("10m")) == "10m" and parse_pending("10m").check is None
    assert parse_pending("Disk full=PT15M", ["Disk full"]).seconds == 900
    assert parse_pending("a=b=1h").check == "a=b"  # the duration follows the last '='
    assert parse_pending("Disk full=1h").applies("Disk full") and not parse_pending("Disk full=1h").applies("CPU")
    alpha = parse_pending("alpha:15m")
    assert (alpha.cluster, alpha.check, alpha.seconds, str(alpha)) == ("alpha", None, 900.0, "alpha:15m")
    assert not alpha.applies("Disk full")  # it is an edit of the configuration, not of the problems
    assert parse_pending("Disk: full=1h").check == "Disk: full"  # with '=', what comes before is a check
    edited = apply_pending(CONFIG, [alpha, parse_pending("beta:1h"), parse_pending("20m")])
    assert (edited.clusters["alpha"].pending, edited.clusters["beta"].pending) == (900.0, 3600.0)
    assert (
        edited.clusters["alpha"].thresholds == CONFIG.clusters["alpha"].thresholds
        and CONFIG.clusters["alpha"].pending is None
    )
    assert apply_pending(CONFIG, [parse_pending("20m")]) is CONFIG


def test_lasting_faults_and_what_a_candidate_keeps() -> None:
    disk = ("Disk full", "HostMonitor", "alpha", "a-dn1", "critical")
    cpu = ("CPU usage", "HostMonitor", "alpha", "a-dn2", "warning")
    now = [
        Span(disk, START, START + 300, START + 3600),  # an hour
        Span(cpu, START, START + 300, START + 600),  # ten minutes
        Span(cpu, START + 7200, START + 7500),  # still firing at the end, two hours on
    ]
    end = START + 4 * 3600
    faults = lasting(now, 1800, end)
    assert faults == [now[0], now[2]]
    later = [Span(disk, START + 60, START + 900, START + 3600), Span(cpu, START + 600, START + 900, START + 960)]
    held = kept(faults, later, end, lambda f: True)
    assert (held.before, held.after, held.lost, held.delay) == (2, 1, (now[2],), 600.0)
    assert held.as_dict()["lost"] == [
        {
            "check": "CPU usage",
            "monitor": "HostMonitor",
            "cluster": "alpha",
            "host": "a-dn2",
            "severity": "warning",
            "detected": "2026-11-29T12:00:00Z",
            "fired": "2026-11-29T12:05:00Z",
            "ended": None,
            "lasted": 7200.0,
        }
    ]
    assert (
        now[2].describe(end) == "CPU usage warning on alpha a-dn2 from 2026-11-29T12:00:00Z for 2h (firing at the end)"
    )
    assert kept(faults, later, end, lambda f: f.severity == "critical") == Kept(1, 1, (), 600.0, end)
    assert held + Kept(1, 1, (), 900.0) == Kept(3, 2, (now[2],), 900.0, end)


def test_hints_lasting_is_read_from_khp_yml(tmp_path: Path) -> None:
    def load(text: str) -> Config:
        (tmp_path / "khp.yml").write_text(text)
        return load_config(tmp_path / "khp.yml")

    assert hint_rules(load("evaluation: {interval: 1m}\n")) == HintRules(lasting=1800.0)
    assert hint_rules(load("hints: {lasting: 1h}\n")).lasting == 3600.0
    assert HintRules(lasting=3600.0).short == 1800.0
    cases = [
        ("hints: {lasting: soon}\n", "hints.lasting: 'soon' is not a duration"),
        ("hints: {lasting: 0s}\n", "hints.lasting: must be longer than 0 seconds"),
        ("hints: {lasting: 1m}\n", "hints.lasting: must be at least two evaluation intervals (2m)"),
        ("hints: {lastng: 30m}\n", "hints.lastng: unknown key; allowed keys here: lasting"),
    ]
    for text, message in cases:
        config = load(text)
        with pytest.raises(ConfigError) as error:
            hint_rules(config)
        assert str(error.value).startswith(f"{config.file}: {message}"), str(error.value)
        errors, _warnings = findings(config, {})
        assert any(message in e for e in errors), errors  # khp check-config says it too
    with pytest.raises(ConfigError, match="hints: expected a mapping, got str '30m'"):
        load("hints: 30m\n")  # the loader reads every component's section as a mapping


class Counting:
    """A source that counts what it is asked and fails on demand."""

    def __init__(self) -> None:
        self.asked = 0
        self.fail = False
        self.gate = threading.Event()
        self.gate.set()

    def query(self, query: MetricQuery) -> list[Sample]:
        self.gate.wait()
        self.asked += 1
        if self.fail:
            raise RuntimeError("down")
        return [Sample("alpha", None, 1.0)]

    def count(self, query: LogQuery) -> list[Sample]:
        self.asked += 1
        return []

    def raw(self, body: object, index: str | None = None) -> list[Sample]:
        self.asked += 1
        return []

    def states(self, query: ProcessQuery) -> list[ProcessState]:
        self.asked += 1
        return []

    def seen(self, query: ProcessQuery) -> list[tuple[str, str, str]]:
        self.asked += 1
        return []

    def unreachable(self, query: ProcessQuery) -> list[tuple[str, str, str]]:
        self.asked += 1
        return []


def test_shared_answers_run_each_query_once_per_time() -> None:
    inner = Counting()
    shared = SharedAnswers(Sources(inner, inner, inner))  # type: ignore[arg-type]
    query = MetricQuery("host", "os", "cpu", START - 600, START)
    window = ProcessQuery(START - 600, START)
    for _ in range(2):
        assert shared.sources.metrics.query(query) == [Sample("alpha", None, 1.0)]
        shared.sources.logs.count(LogQuery("hbase", "regionserver", "slow*", START - 600, START))
        shared.sources.logs.raw({"size": 0}, None)
        shared.sources.processes.states(window)
        shared.sources.processes.seen(window)
        shared.sources.processes.unreachable(window)
    assert (inner.asked, shared.asked, shared.ran) == (6, 12, 6)
    shared.clear()
    inner.fail = True
    for _ in range(2):
        with pytest.raises(RuntimeError, match="down"):
            shared.sources.metrics.query(query)
    assert inner.asked == 7  # the failure is shared too: the other side sees the same


def test_a_second_asker_waits_for_the_first_answer() -> None:
    inner = Counting()
    inner.gate.clear()
    shared = SharedAnswers(Sources(inner, inner, inner))  # type: ignore[arg-type]
    query = MetricQuery("host", "os", "cpu", START - 600, START)
    answers: list[object] = []
    threads = [threading.Thread(target=lambda: answers.append(shared.sources.metrics.query(query))) for _ in range(2)]
    for thread in threads:
        thread.start()
    inner.gate.set()
    for thread in threads:
        thread.join()
    assert inner.asked == 1 and len(answers) == 2


def test_check_rules_read_the_monitors_code(druid: list[type[Monitor]]) -> None:
    from evaluator.monitors.host import HostMonitor
    from evaluator.monitors.zookeeper import ZookeeperMonitor

    rules = {rule.check: rule for rule in check_rules(druid)}
    assert sorted(rules) == [
        "Failed queries",
        "Failed tasks",
        "Kafka ingestion lag",
        "No coordinator leader",
        "No overlord leader",
        "Pending tasks",
        "Segment cache usage",
        "Task slot usage",
        "Unavailable segments",
    ]
    assert rules["No coordinator leader"].levels == {}  # compared with a constant, not a threshold
    slots = rules["Task slot usage"].levels
    assert (slots["warning"].key, slots["warning"].compare, slots["critical"].key) == (
        "druid_slot_used_percent",
        ">",
        "druid_slot_used_percent",
    )
    quorum = next(r for r in check_rules([ZookeeperMonitor]) if r.check == "ZooKeeper quorum at risk")
    assert set(quorum.levels) == {"warning"}  # critical = quorum lost OR above the threshold: not plain
    disk = next(r for r in check_rules([HostMonitor]) if r.check == "Disk space low")
    assert disk.levels["warning"].compare == "<"
    assert literal_checks(druid) == set(rules)


class Swapped(Monitor):
    def run(self) -> None:
        value = self.all("host/os/cpu.user")
        self.emit("Reversed", warning=self.w("cpu") < value)
        self.emit(f"Dynamic {self.at}", warning=value > 1)


def test_a_threshold_on_the_left_and_a_computed_check_name() -> None:
    (rule,) = check_rules([Swapped])
    assert (rule.check, rule.levels["warning"].compare) == ("Reversed", ">")
    assert literal_checks([Swapped]) is None  # pending candidates are then not checked by name


def test_the_progress_bar() -> None:
    stream = io.StringIO()
    now = [100.0]
    bar = ProgressBar(stream, "backtest", clock=lambda: now[0])
    now[0] = 110.0
    bar(1, 4)
    bar(2, 4)  # drawn at most every 0.2 s
    now[0] = 140.0
    bar(4, 4)
    assert stream.getvalue() == (
        "\rbacktest [#######                       ]  25% 1/4  10s elapsed, ~30s left "
        "\rbacktest [##############################] 100% 4/4  40s elapsed, ~0s left \n"
    )


def test_the_public_surface() -> None:
    assert backtest.__all__ == [
        "BAND",
        "BURSTS",
        "BacktestError",
        "BacktestReport",
        "BacktestRow",
        "Change",
        "Counts",
        "GroupTimings",
        "Hint",
        "HintRules",
        "HintsReport",
        "Kept",
        "NotificationEstimate",
        "Override",
        "OverrideError",
        "PendingOverride",
        "Period",
        "ProgressBar",
        "Side",
        "Span",
        "Together",
        "apply_overrides",
        "apply_pending",
        "find_hints",
        "hint_rules",
        "parse_override",
        "parse_pending",
        "render_hints",
        "render_report",
        "replay",
        "run_backtest",
        "tuning_hints",
    ]
    assert issubclass(backtest.OverrideError, backtest.BacktestError)
