"""``run_backtest`` on planted faults with known answers: detected, fired, notified, side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluator import Monitor, discover_monitors
from khp.backtest import BacktestError, BacktestRow, Counts, Override, OverrideError, PendingOverride, run_backtest
from khp.configuration import Config

from .helpers import CHECK, CLUSTER, START, make_project, plant_faults, slots_full

END = START + 3 * 3600
SHORT = slots_full(START + 1800, 180)  # 3 minutes: shorter than the 5 minute pending time
LONG = slots_full(START + 3600, 5400)  # 90 minutes


def backtest(config: Config, monitors: list[type[Monitor]], *overrides: str | Override, **options: object):
    return run_backtest(config, monitors, START, END, 60.0, overrides, **options)  # type: ignore[arg-type]


def test_a_long_fault_fires_once_with_one_notification_and_one_resolve(
    project: Config, druid: list[type[Monitor]]
) -> None:
    plant_faults(project, [LONG], START, END)
    report = backtest(project, druid)
    row = report.row(CHECK, CLUSTER, "warning")
    assert row is not None and row.monitor == "DruidMonitor"
    assert row.current == Counts(
        detected=1, fired=1, resolved=1, problems_notified=1, notifications_sent=2, resolve_notifications=1
    )
    assert row.candidate is None and report.candidate is None
    assert [r.check for r in report.rows] == [CHECK]  # nothing else in the period
    assert report.evaluations == 181 and report.current == row.current


def test_a_fault_shorter_than_the_pending_time_is_detected_but_never_fires(
    project: Config, druid: list[type[Monitor]]
) -> None:
    plant_faults(project, [SHORT], START, END)
    row = backtest(project, druid).row(CHECK, CLUSTER, "warning")
    assert row is not None
    assert row.current == Counts(detected=1, healed=1)


def test_both_faults_and_a_fault_open_at_the_end(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    late = slots_full(END - 600, 3600)  # still on at the end: fired, not resolved
    plant_faults(config, [SHORT, LONG, late], START, END)
    row = run_backtest(config, discover_monitors(config), START, END, 60.0).row(CHECK, CLUSTER, "warning")
    assert row is not None
    assert row.current == Counts(
        detected=3,
        healed=1,
        fired=2,
        resolved=1,
        firing_at_end=1,
        problems_notified=2,
        notifications_sent=3,
        resolve_notifications=1,
    )


def test_a_repeat_interval_shorter_than_the_fault_repeats_the_notification(tmp_path: Path) -> None:
    # Fires at +5m, first notification at +5m30s (group_wait); ticks every 5m; a repeat needs more
    # than 30m since the last one: +40m30s and +75m30s; resolved at +90m, notified at +90m30s.
    config = make_project(tmp_path, routing="{group_wait: 30s, group_interval: 5m, repeat_interval: 30m}")
    plant_faults(config, [LONG], START, END)
    row = run_backtest(config, discover_monitors(config), START, END, 60.0).row(CHECK, CLUSTER, "warning")
    assert row is not None
    assert (row.current.notifications_sent, row.current.repeats, row.current.resolve_notifications) == (4, 2, 1)


def test_a_cluster_routing_timing_wins_over_the_default(tmp_path: Path) -> None:
    config = make_project(tmp_path, clusters={CLUSTER: "routing: {repeat_interval: 20m}\n"})
    plant_faults(config, [LONG], START, END)
    report = run_backtest(config, discover_monitors(config), START, END, 60.0)
    row = report.row(CHECK, CLUSTER, "warning")
    assert row is not None
    # repeats at +30m30s, +55m30s, +80m30s (more than 20m after the last, on the 5m ticks)
    assert (row.current.notifications_sent, row.current.repeats) == (5, 3)
    assert report.timings[CLUSTER].repeat_interval == 1200


def test_current_and_candidate_side_by_side(project: Config, druid: list[type[Monitor]]) -> None:
    plant_faults(project, [SHORT, LONG], START, END)
    catches = backtest(project, druid, "druid_slot_used_percent.warning=90")
    misses = backtest(project, druid, "druid_slot_used_percent.warning=99")
    caught = catches.row(CHECK, CLUSTER, "warning")
    missed = misses.row(CHECK, CLUSTER, "warning")
    assert caught is not None and missed is not None
    assert (
        caught.current
        == missed.current
        == Counts(
            detected=2,
            healed=1,
            fired=1,
            resolved=1,
            problems_notified=1,
            notifications_sent=2,
            resolve_notifications=1,
        )
    )
    assert caught.candidate == caught.current  # 96 % is above 90 as it is above 80
    assert missed.candidate == Counts()  # nothing above 99 %
    assert misses.candidate == Counts() and misses.current == missed.current
    assert [str(change) for change in misses.changes] == ["druid_slot_used_percent.warning=99 (now 80)"]


def test_null_turns_a_level_off_and_a_new_level_can_be_turned_on(project: Config, druid: list[type[Monitor]]) -> None:
    plant_faults(project, [LONG], START, END)
    report = backtest(project, druid, "druid_slot_used_percent.warning=null", "druid_slot_used_percent.critical=95")
    warning = report.row(CHECK, CLUSTER, "warning")
    critical = report.row(CHECK, CLUSTER, "critical")
    assert warning is not None and warning.candidate == Counts() and warning.current.fired == 1
    assert critical is not None and critical.current == Counts()
    assert critical.candidate == Counts(
        detected=1, fired=1, resolved=1, problems_notified=1, notifications_sent=2, resolve_notifications=1
    )


def test_critical_inhibits_the_warning_notifications(tmp_path: Path) -> None:
    config = make_project(tmp_path, thresholds="druid_slot_used_percent: {warning: 80, critical: 90}")
    plant_faults(config, [LONG], START, END)
    report = run_backtest(config, discover_monitors(config), START, END, 60.0)
    warning = report.row(CHECK, CLUSTER, "warning")
    critical = report.row(CHECK, CLUSTER, "critical")
    assert warning is not None and critical is not None
    assert (warning.current.fired, warning.current.problems_notified, warning.current.notifications_sent) == (1, 0, 0)
    assert (critical.current.fired, critical.current.problems_notified, critical.current.notifications_sent) == (
        1,
        1,
        2,
    )


def test_a_default_candidate_leaves_a_cluster_with_its_own_value(tmp_path: Path) -> None:
    own = {CLUSTER: "thresholds: {druid_slot_used_percent: {warning: 70}}\n"}
    config = make_project(tmp_path, clusters=own)
    plant_faults(config, [LONG], START, END)
    monitors = discover_monitors(config)
    default = run_backtest(config, monitors, START, END, 60.0, ["druid_slot_used_percent.warning=99"])
    row = default.row(CHECK, CLUSTER, "warning")
    assert row is not None and row.candidate == row.current and row.current.fired == 1
    assert default.notes == (
        "druid_slot_used_percent.warning=99: druid-002 sets its own druid_slot_used_percent.warning (70) and keeps"
        " it; try druid-002:druid_slot_used_percent.warning=VALUE for that cluster",
    )
    mine = run_backtest(config, monitors, START, END, 60.0, [f"{CLUSTER}:druid_slot_used_percent.warning=99"])
    row = mine.row(CHECK, CLUSTER, "warning")
    assert row is not None and row.candidate == Counts() and mine.notes == ()
    assert [str(c) for c in mine.changes] == ["druid-002:druid_slot_used_percent.warning=99 (now 70)"]


def test_a_longer_pending_time_keeps_the_fault_from_firing(project: Config, druid: list[type[Monitor]]) -> None:
    plant_faults(project, [SHORT, LONG], START, END)
    for pending in ("2h", f"{CHECK}=2h", PendingOverride(7200.0, CHECK)):
        report = backtest(project, druid, pending=[pending])
        row = report.row(CHECK, CLUSTER, "warning")
        assert row is not None and row.candidate == Counts(detected=2, healed=2)  # 90 minutes < 2 hours
    shorter = backtest(project, druid, pending=["2m"]).row(CHECK, CLUSTER, "warning")
    assert shorter is not None and shorter.candidate is not None
    assert (shorter.candidate.fired, shorter.candidate.healed) == (2, 0)  # 3 minutes outlast 2


def test_a_cluster_pending_time_is_an_edit_of_its_file(tmp_path: Path) -> None:
    # druid-002's file sets 10m: the long fault fires there; "druid-002:2h" replaces its file's value
    config = make_project(tmp_path, clusters={CLUSTER: "pending: 10m\n"})
    plant_faults(config, [SHORT, LONG], START, END)
    report = run_backtest(config, discover_monitors(config), START, END, 60.0, pending=[f"{CLUSTER}:2h"])
    row = report.row(CHECK, CLUSTER, "warning")
    assert row is not None and row.current.fired == 1
    assert row.candidate == Counts(detected=2, healed=2)
    assert report.pending == (PendingOverride(7200.0, None, CLUSTER),)
    assert report.describe_candidate() == "pending of druid-002 2h"
    assert report.as_json()["candidate"]["pending"] == [{"check": None, "cluster": CLUSTER, "seconds": 7200.0}]
    other = run_backtest(config, discover_monitors(config), START, END, 60.0, pending=["druid-009:2h"])
    assert other.row(CHECK, CLUSTER, "warning") == BacktestRow(
        CHECK, CLUSTER, "warning", "DruidMonitor", other.current, other.current
    )  # another cluster's file changes nothing here
    assert PendingOverride(600.0, None, CLUSTER).current(config) == 600.0
    assert PendingOverride(600.0, None, "druid-009").current(config) == 300.0  # evaluation.pending


def test_the_candidate_reads_the_same_answers(project: Config, druid: list[type[Monitor]]) -> None:
    plant_faults(project, [LONG], START, END)
    alone = backtest(project, druid)
    both = backtest(project, druid, "druid_slot_used_percent.warning=90")
    # DruidMonitor asks 10 queries per evaluation; the candidate's are answered from the current's
    assert alone.queries_asked == alone.queries_run == 10 * 181
    assert both.queries_asked == 2 * 10 * 181 and both.queries_run == 10 * 181


def test_clusters_limit_the_evaluation(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    other = slots_full(START + 3600, 5400, cluster="druid-007")
    plant_faults(config, [LONG, other], START, END, clusters=(CLUSTER, "druid-007"))
    monitors = discover_monitors(config)
    everywhere = run_backtest(config, monitors, START, END, 60.0)
    assert {row.cluster for row in everywhere.rows} == {CLUSTER, "druid-007"}
    scoped = run_backtest(config, monitors, START, END, 60.0, clusters=["druid-007"])
    assert [(row.cluster, row.current.fired) for row in scoped.rows] == [("druid-007", 1)]
    assert scoped.clusters == ("druid-007",)


class Flaky(Monitor):
    """Task slots, but it fails for 10 minutes in the middle of the long fault."""

    def run(self) -> None:
        if START + 5400 <= self.at < START + 6000:
            raise RuntimeError("druid answered nonsense")
        used = self.max("druid/overlord/taskSlot.used.count") / self.max("druid/overlord/taskSlot.total.count") * 100
        self.emit(CHECK, warning=used > self.w("druid_slot_used_percent"))


def test_a_failed_monitor_keeps_its_problems_state(project: Config) -> None:
    plant_faults(project, [LONG], START, END)
    report = run_backtest(project, [Flaky], START, END, 60.0)
    row = report.row(CHECK, CLUSTER, "warning")
    assert row is not None
    # without keeping the state, it would have resolved and fired again after the failures
    assert row.current == Counts(
        detected=1, fired=1, resolved=1, problems_notified=1, notifications_sent=2, resolve_notifications=1
    )
    assert report.failed == {"Flaky": 10}
    assert [r.check for r in report.rows] == [CHECK]  # "Monitor failed" is the replay's trouble, not a row


@pytest.mark.parametrize(
    ("override", "message"),
    [
        (
            "druid_slots.warning=85",
            "--set 'druid_slots.warning=85': no threshold 'druid_slots' in {file} (did you mean"
            " 'druid_slot_used_percent'?); valid keys:"
            " druid_failed_queries, druid_failed_tasks, druid_kafka_lag, druid_pending_tasks,"
            " druid_segment_cache_used_percent, druid_slot_used_percent, druid_unavailable_segments",
        ),
        (
            "druid_slot_used_percent.warn=85",
            "--set 'druid_slot_used_percent.warn=85': no level 'warn'; valid levels: warning, critical",
        ),
        (
            "druid_slot_used_percent=85",
            "--set 'druid_slot_used_percent=85': name the level after the key: druid_slot_used_percent.warning"
            " or druid_slot_used_percent.critical",
        ),
        (
            "druid_slot_used_percent.warning=high",
            "--set 'druid_slot_used_percent.warning=high': 'high' is not a number; give a number or null",
        ),
        ("druid_slot_used_percent.warning", "--set 'druid_slot_used_percent.warning': write KEY.LEVEL=VALUE"),
        (":druid_slot_used_percent.warning=1", "--set ':druid_slot_used_percent.warning=1': a cluster name goes"),
    ],
)
def test_bad_candidates_say_what_is_valid(
    project: Config, druid: list[type[Monitor]], override: str, message: str
) -> None:
    with pytest.raises(OverrideError) as error:
        backtest(project, druid, override)
    assert str(error.value).startswith(message.format(file=project.file))


def test_a_value_given_twice_and_an_unknown_pending_check_are_errors(
    project: Config, druid: list[type[Monitor]]
) -> None:
    with pytest.raises(OverrideError, match="already sets it; give each value once"):
        backtest(project, druid, "druid_slot_used_percent.warning=85", "druid_slot_used_percent.warning=90")
    with pytest.raises(OverrideError) as error:
        backtest(project, druid, pending=["Slots=10m"])
    assert str(error.value) == (
        "--pending 'Slots=10m': no check 'Slots' in these monitors; valid checks: Failed queries, Failed tasks,"
        " Kafka ingestion lag, No coordinator leader, No overlord leader, Pending tasks, Segment cache usage,"
        " Task slot usage, Unavailable segments"
    )
    with pytest.raises(OverrideError, match="not a duration"):
        backtest(project, druid, pending=["soon"])
    with pytest.raises(OverrideError, match=r"write CLUSTER:DURATION, e\.g\. kudu-004:15m"):
        backtest(project, druid, pending=[" :10m"])
    with pytest.raises(OverrideError, match="a cluster's file sets one pending time for all its checks"):
        PendingOverride(600.0, CHECK, CLUSTER)
    with pytest.raises(OverrideError, match="no threshold 'nope'"):
        backtest(project, druid, Override("nope", "warning", 1.0))


def test_a_bad_period_is_an_error(project: Config, druid: list[type[Monitor]]) -> None:
    with pytest.raises(BacktestError, match=r"ends .* before it starts"):
        run_backtest(project, druid, END, START, 60.0)
    with pytest.raises(BacktestError, match="no evaluation time on the 1h grid"):
        run_backtest(project, druid, START + 60, START + 120, 3600.0)
    with pytest.raises(BacktestError, match="no monitor to backtest"):
        run_backtest(project, [], START, END, 60.0)


def test_a_report_as_json(project: Config, druid: list[type[Monitor]]) -> None:
    plant_faults(project, [LONG], START, END)
    shown = backtest(project, druid, "druid_slot_used_percent.warning=99").as_json()
    assert (shown["start"], shown["end"], shown["step"], shown["evaluations"]) == (
        "2026-11-29T10:00:00Z",
        "2026-11-29T13:00:00Z",
        60.0,
        181,
    )
    assert shown["candidate"]["set"] == [
        {
            "set": "druid_slot_used_percent.warning=99",
            "key": "druid_slot_used_percent",
            "level": "warning",
            "value": 99.0,
            "cluster": None,
            "was": 80.0,
        }
    ]
    assert shown["rows"][0]["current"]["notifications_sent"] == 2 and shown["rows"][0]["candidate"]["fired"] == 0
    assert shown["total"]["candidate"]["detected"] == 0
    assert shown["timings"] == {"(default)": {"group_wait": 30.0, "group_interval": 300.0, "repeat_interval": 14400.0}}
