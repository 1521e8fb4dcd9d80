"""No data is not recovery: held, then "No data"; every resolution marked; the heartbeat; evaluation stamps."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from alert_bridge import FIRING, PENDING, RESOLVED, AlertBridge, step
from alert_bridge._payload import alert, timestamp
from evaluator import Coverage, CycleResult
from khp.configuration import ClusterConfig, Config, EvaluationConfig

from .conftest import T0, AlertSink, config, cycle, problem
from .test_machine import TIMING, WALL, firing_since

HOLD = 900.0


def seen(
    at: float, problems: list, covered: list | None = None, monitors: tuple[str, ...] = ("HdfsMonitor",)
) -> CycleResult:
    """A cycle with evidence: ``covered`` (check, cluster, host, severity) had data; the rest none."""
    result = cycle(at, problems)
    labels: dict[tuple[str, str, str], set] = {}
    for p in [*problems, *(covered or [])]:
        check, cluster, host, severity = (p.check, p.cluster, p.host, p.severity) if hasattr(p, "check") else p
        labels.setdefault(("HdfsMonitor", check, severity), set()).add((cluster, host))
    coverage = Coverage({key: frozenset(found) for key, found in labels.items()}, frozenset(monitors))
    return dataclasses.replace(result, coverage=coverage)


# -- the state machine -----------------------------------------------------------------------------


def test_a_firing_problem_without_data_is_held_for_the_hold_then_ended_for_lack_of_data() -> None:
    state = firing_since(T0 + 300)
    held = step(state, None, T0 + 330, WALL + 330, TIMING, covered=False, hold=HOLD)
    assert (held.event, held.send) == ("held", False)
    assert held.state is not None and held.state.phase == FIRING and held.state.nodata_since == T0 + 330
    quiet = step(held.state, None, T0 + 360, WALL + 360, TIMING, covered=False, hold=HOLD)
    assert (quiet.event, quiet.send) == ("held", False)  # sent at 300: not more than a minute ago
    resent = step(held.state, None, T0 + 390, WALL + 390, TIMING, covered=False, hold=HOLD)
    assert (resent.event, resent.send) == ("held", True)  # still re-sent on schedule, with nodata_since
    assert resent.state is not None
    ended = step(resent.state, None, T0 + 330 + HOLD, WALL + 330 + HOLD, TIMING, covered=False, hold=HOLD)
    assert (ended.event, ended.send) == ("nodata-resolved", True)
    assert ended.state is not None and ended.state.phase == RESOLVED and ended.state.without_data
    body = alert(ended.state, WALL + 330 + HOLD, 240.0)
    assert body["annotations"]["resolved_by"] == "no data"
    assert body["annotations"]["nodata_since"] == timestamp(T0 + 330)


def test_data_back_with_the_problem_fires_again_at_once_and_fine_data_forgets_it() -> None:
    ended = dataclasses.replace(firing_since(T0 + 300), phase=RESOLVED, resolved=T0 + 1500, resolved_by="nodata")
    back = step(ended, problem(), T0 + 1560, WALL + 1560, TIMING)
    assert (back.event, back.send) == ("resumed", True)
    assert back.state is not None and back.state.phase == FIRING and back.state.starts_at == WALL + 1560
    waiting = step(ended, None, T0 + 1560, WALL + 1560, TIMING, covered=False)
    assert waiting.state is not None and waiting.state.without_data  # kept while there is still no data
    assert step(ended, None, T0 + 1560, WALL + 1560, TIMING, covered=True).event == "forgotten"


def test_a_pending_problem_without_data_neither_advances_nor_resets() -> None:
    state = step(None, problem(), T0, WALL, TIMING).state
    assert state is not None and state.phase == PENDING
    state = step(state, problem(), T0 + 120, WALL + 120, TIMING).state  # 2 of its 5 minutes
    gap = step(state, None, T0 + 180, WALL + 180, TIMING, covered=False, hold=HOLD)
    assert gap.event == "held" and gap.state is not None and gap.state.nodata_since == T0 + 180
    quiet = step(gap.state, None, T0 + 420, WALL + 420, TIMING, covered=False, hold=HOLD)
    assert quiet.state is gap.state  # no data for 4 minutes: not fired, not reset
    back = step(gap.state, problem(), T0 + 480, WALL + 480, TIMING)
    assert back.event == "" and back.state is not None and back.state.since == T0 + 300  # the gap did not count
    assert step(back.state, problem(), T0 + 540, WALL + 540, TIMING).event == ""
    assert step(back.state, problem(), T0 + 600, WALL + 600, TIMING).event == "fired"
    over = step(gap.state, None, T0 + 180 + HOLD, WALL, TIMING, covered=False, hold=HOLD)
    assert (over.state, over.event) == (None, "reset")


def test_only_evidence_resolves_and_the_resolution_says_so() -> None:
    ok = step(firing_since(T0 + 300), None, T0 + 330, WALL + 330, TIMING, covered=True)
    assert ok.event == "resolved" and ok.state is not None
    assert alert(ok.state, WALL + 330, 240.0)["annotations"]["resolved_by"] == "evaluator"


# -- the bridge ----------------------------------------------------------------------------------


def test_the_bridge_holds_then_raises_one_no_data_per_element_naming_its_checks(
    sink: AlertSink, tmp_path: Path
) -> None:
    disk, inodes = problem(pending=0.0), problem(check="Inodes", pending=0.0)
    settings = dataclasses.replace(
        config(tmp_path / "khp.db", [sink.url]), evaluation=EvaluationConfig(nodata_hold=120.0)
    )
    with AlertBridge(settings) as bridge:
        assert len(bridge.process(seen(T0, [disk, inodes])).fired) == 2
        held = bridge.process(seen(T0 + 60, []))
        assert len(held.held) == 2 and held.resolved == [] and held.nodata_resolved == []
        ended = bridge.process(seen(T0 + 180, []))
        assert len(ended.nodata_resolved) == 2 and ended.resolved == []
        (no_data,) = ended.raised
        assert (no_data.check, no_data.monitor, no_data.cluster, no_data.host, no_data.severity) == (
            "No data",
            "HdfsMonitor",
            "alpha",
            "a-dn1",
            "warning",
        )
        assert "no data for Disk full, Inodes since 2026-11-29T10:01:00Z" in no_data.description
        assert ended.fired == [no_data]
        back = bridge.process(seen(T0 + 240, [], covered=[disk, inodes]))  # data again, and fine
        assert back.raised == [] and [p.check for p in back.resolved] == ["No data"]
    sent = sink.alerts
    marks = [(a["labels"]["alertname"], a["annotations"].get("resolved_by")) for a in sent]
    assert ("Disk full", "no data") in marks and ("No data", "evaluator") in marks
    assert ("Disk full", "evaluator") not in marks  # never resolved as if it had healed


def test_the_hold_is_per_cluster(sink: AlertSink, tmp_path: Path) -> None:
    alpha, beta = problem(pending=0.0), problem(cluster="beta", pending=0.0)
    base = config(tmp_path / "khp.db", [sink.url])
    settings = dataclasses.replace(
        base,
        evaluation=EvaluationConfig(nodata_hold=3600.0),
        clusters={"beta": ClusterConfig(name="beta", nodata_hold=60.0)},
    )
    with AlertBridge(settings) as bridge:
        bridge.process(seen(T0, [alpha, beta]))
        bridge.process(seen(T0 + 60, []))
        report = bridge.process(seen(T0 + 120, []))
    assert [p.cluster for p in report.nodata_resolved] == ["beta"]


def test_the_heartbeat_goes_last_every_resend_interval_with_evaluation_stamps(sink: AlertSink, tmp_path: Path) -> None:
    disk = problem(pending=0.0)
    with AlertBridge(config(tmp_path / "khp.db", [sink.url]), evaluation_stamps=True) as bridge:
        bridge.process(seen(T0, [disk]))
        bridge.process(seen(T0 + 30, [disk]))  # not due yet
        bridge.process(seen(T0 + 60, [disk]))  # the heartbeat's turn; the alert waits for more than 60s
        bridge.process(seen(T0 + 120, [disk]))
    # one POST of the alerts due, then the heartbeat's; at T0 + 30 nothing was due
    names = [post[0]["labels"]["alertname"] for post in sink.posts]
    assert names == ["Disk full", "Heartbeat", "Heartbeat", "Disk full", "Heartbeat"]
    assert [beat["annotations"]["at"] for beat in sink.heartbeats] == [timestamp(T0 + s) for s in (0, 60, 120)]
    assert sink.alerts[0]["startsAt"] == timestamp(T0)  # the evaluation instant, as Prometheus stamps
    assert sink.heartbeats[0]["labels"] == {"alertname": "Heartbeat", "monitor": "khp", "severity": "none"}
    assert sink.heartbeats[0]["endsAt"] == timestamp(T0 + 240)


def test_a_monitor_that_no_longer_exists_has_its_alerts_resolved(sink: AlertSink, tmp_path: Path) -> None:
    disk = problem(pending=0.0)
    with AlertBridge(config(tmp_path / "khp.db", [sink.url])) as bridge:
        bridge.process(seen(T0, [disk]))
        gone = bridge.process(seen(T0 + 60, [], monitors=("OtherMonitor",)))
        assert gone.resolved == [disk]


def test_a_cycle_scoped_to_other_monitors_keeps_them(sink: AlertSink, tmp_path: Path) -> None:
    disk = problem(pending=0.0)
    with AlertBridge(config(tmp_path / "khp.db", [sink.url])) as bridge:
        bridge.process(seen(T0, [disk]))
        report = bridge.process(seen(T0 + 60, [], monitors=("OtherMonitor",)), monitors=["OtherMonitor"])
        assert report.resolved == [] and bridge.states[disk.key].phase == FIRING


def test_a_state_table_of_an_older_version_gets_the_new_columns(tmp_path: Path) -> None:
    import sqlite3

    from alert_bridge import StateStore

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE alert_states (key TEXT PRIMARY KEY, phase TEXT NOT NULL, since REAL NOT NULL, fired REAL,"
            " resolved REAL, last_sent REAL, valid_until REAL, starts_at REAL, ends_at REAL,"
            " undelivered TEXT NOT NULL, problem TEXT NOT NULL) WITHOUT ROWID"
        )
    store = StateStore(path)
    state = dataclasses.replace(firing_since(T0 + 300), nodata_since=T0 + 400)
    store.save([state], [])
    assert store.load()[state.key].nodata_since == T0 + 400
    store.close()


def test_a_hand_made_config_still_resolves_on_absence(sink: AlertSink, tmp_path: Path) -> None:
    disk = problem(pending=0.0)
    with AlertBridge(Config(**{**vars(config(tmp_path / "khp.db", [sink.url]))})) as bridge:
        bridge.process(cycle(T0, [disk]))
        assert bridge.process(cycle(T0 + 60, [])).resolved == [disk]  # no coverage given: absence is evidence
