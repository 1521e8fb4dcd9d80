"""The collector's output for a known cycle, parsed back: exact names, labels, values and types."""

from __future__ import annotations

import dataclasses

from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from exporter import ACTIVE, CYCLE_BUCKETS, ExporterState, render

from .conftest import AT, DISK, FAILED, SLOTS, STARTED, known_cycle, labels, scrape, series

DISK_LABELS = dict(check="Disk usage", monitor="HdfsMonitor", cluster="alpha", host="a-dn1", severity="critical",
                   service="hdfs")  # fmt: skip
SLOTS_LABELS = dict(check="Task slot usage", monitor="DruidMonitor", cluster="beta", host="", severity="warning",
                    service="druid")  # fmt: skip
FAILED_LABELS = dict(check="Monitor failed", monitor="KuduMonitor", cluster="", host="", severity="warning",
                     service="khp")  # fmt: skip
URL = "http://127.0.0.1:9093"

TYPES = {
    "khp_problem": "gauge",
    "khp_problem_value": "gauge",
    "khp_problem_threshold": "gauge",
    "khp_problems": "gauge",
    "khp_cycle_duration_seconds": "histogram",
    "khp_cycle_last_timestamp_seconds": "gauge",
    "khp_cycle_evaluation_timestamp_seconds": "gauge",
    "khp_monitor_duration_seconds": "gauge",
    "khp_monitor_up": "gauge",
    "khp_monitor_errors": "counter",
    "khp_query_duration_seconds": "counter",
    "khp_queries": "counter",
    "khp_query_errors": "counter",
    "khp_queries_deduplicated": "counter",
    "khp_queries_in_flight_peak": "gauge",
    "khp_source_up": "gauge",
    "khp_alertmanager_send_errors": "counter",
    "khp_problem_alertmanager_state": "gauge",
    "khp_alertmanager_state_timestamp_seconds": "gauge",
    "khp_alertmanager_state_read_errors": "counter",
    "khp_problem_flapping": "gauge",
}


def test_every_family_has_its_type_and_help_even_before_the_first_cycle(registry: CollectorRegistry) -> None:
    families = list(text_string_to_metric_families(render(registry).decode()))
    assert {f.name: f.type for f in families} == TYPES
    assert all(f.documentation for f in families)


def test_before_the_first_cycle_only_zero_counters_and_an_empty_histogram(registry: CollectorRegistry) -> None:
    samples = scrape(registry)
    assert {name for name, _labels in samples} == {
        "khp_cycle_duration_seconds_bucket",
        "khp_cycle_duration_seconds_count",
        "khp_cycle_duration_seconds_sum",
        "khp_query_duration_seconds_total",
        "khp_queries_total",
        "khp_query_errors_total",
        "khp_queries_deduplicated_total",
        "khp_alertmanager_send_errors_total",
        "khp_alertmanager_state_read_errors_total",
    }
    assert set(samples.values()) == {0.0}
    assert set(series(samples, "khp_queries_total")) == {labels(source=k) for k in ("metrics", "logs", "processes")}


def test_a_known_cycle_exactly(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle(), states={DISK.key: "firing", SLOTS.key: "pending"}, send_errors={URL: 2})
    samples = scrape(registry)

    assert series(samples, "khp_problem") == {
        labels(**DISK_LABELS, state="firing"): 1.0,
        labels(**SLOTS_LABELS, state="pending"): 1.0,
        labels(**FAILED_LABELS, state=ACTIVE): 1.0,
    }
    assert series(samples, "khp_problem_value") == {labels(**DISK_LABELS): 97.5, labels(**SLOTS_LABELS): 82.0}
    assert series(samples, "khp_problem_threshold") == {labels(**DISK_LABELS): 95.0, labels(**SLOTS_LABELS): 80.0}
    assert series(samples, "khp_problems") == {
        labels(cluster="", severity="critical"): 0.0,
        labels(cluster="", severity="warning"): 1.0,
        labels(cluster="alpha", severity="critical"): 1.0,
        labels(cluster="alpha", severity="warning"): 0.0,
        labels(cluster="beta", severity="critical"): 0.0,
        labels(cluster="beta", severity="warning"): 1.0,
    }

    assert series(samples, "khp_cycle_duration_seconds_bucket") == {
        **{labels(le=_le(bound)): float(bound >= 1.25) for bound in CYCLE_BUCKETS},
        labels(le="+Inf"): 1.0,
    }
    assert series(samples, "khp_cycle_duration_seconds_count") == {labels(): 1.0}
    assert series(samples, "khp_cycle_duration_seconds_sum") == {labels(): 1.25}
    assert series(samples, "khp_cycle_last_timestamp_seconds") == {labels(): STARTED + 1.25}
    assert series(samples, "khp_cycle_evaluation_timestamp_seconds") == {labels(): AT}

    assert series(samples, "khp_monitor_duration_seconds") == {
        labels(monitor="HdfsMonitor"): 0.5,
        labels(monitor="DruidMonitor"): 0.25,
        labels(monitor="KuduMonitor"): 0.125,
    }
    assert series(samples, "khp_monitor_up") == {
        labels(monitor="HdfsMonitor"): 1.0,
        labels(monitor="DruidMonitor"): 1.0,
        labels(monitor="KuduMonitor"): 0.0,
    }
    assert series(samples, "khp_monitor_errors_total") == {
        labels(monitor=m, status=s): float((m, s) == ("KuduMonitor", "failed"))
        for m in ("HdfsMonitor", "DruidMonitor", "KuduMonitor")
        for s in ("failed", "timeout", "skipped")
    }

    assert series(samples, "khp_query_duration_seconds_total") == {
        labels(source="logs"): 0.0,
        labels(source="metrics"): 1.5,
        labels(source="processes"): 0.25,
    }
    assert series(samples, "khp_queries_total") == {
        labels(source="logs"): 0.0,
        labels(source="metrics"): 6.0,
        labels(source="processes"): 2.0,
    }
    assert set(series(samples, "khp_query_errors_total").values()) == {0.0}
    assert series(samples, "khp_queries_deduplicated_total") == {labels(): 2.0}
    assert series(samples, "khp_queries_in_flight_peak") == {labels(): 4.0}
    # logs ran no query this cycle: nothing is known about it, so it has no up series
    assert series(samples, "khp_source_up") == {labels(source="metrics"): 1.0, labels(source="processes"): 1.0}
    assert series(samples, "khp_alertmanager_send_errors_total") == {labels(url=URL): 2.0}


def _le(bound: float) -> str:
    return str(float(bound))


def test_a_source_kind_with_failed_queries_is_down(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle(errors={"metrics": 2}))
    samples = scrape(registry)
    assert series(samples, "khp_source_up") == {labels(source="metrics"): 0.0, labels(source="processes"): 1.0}
    assert series(samples, "khp_query_errors_total")[labels(source="metrics")] == 2.0


def test_without_alert_states_every_problem_is_active(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle())
    assert {dict(key)["state"] for key in series(scrape(registry), "khp_problem")} == {ACTIVE}


def test_the_exported_problems_can_be_the_active_set_rather_than_the_cycle(
    state: ExporterState, registry: CollectorRegistry
) -> None:
    # KuduMonitor failed: its earlier problem is kept by diff_problems and must stay exported
    kept = dataclasses.replace(DISK, monitor="KuduMonitor", check="Tablets", service="kudu")
    state.update(known_cycle(), problems=[DISK, SLOTS, FAILED, kept])
    checks = {dict(key)["check"] for key in series(scrape(registry), "khp_problem")}
    assert checks == {"Disk usage", "Task slot usage", "Monitor failed", "Tablets"}


def test_duplicate_problems_are_one_series(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle([DISK, dataclasses.replace(DISK, value=99.0)]))
    samples = scrape(registry)  # parse() fails on a duplicate series
    assert series(samples, "khp_problem_value") == {labels(**DISK_LABELS): 97.5}
    assert series(samples, "khp_problems")[labels(cluster="alpha", severity="critical")] == 1.0


def test_label_values_are_escaped(state: ExporterState, registry: CollectorRegistry) -> None:
    odd = dataclasses.replace(DISK, check='Quote " backslash \\ newline \n é', host="h,1")
    state.update(known_cycle([odd]))
    ((key, value),) = series(scrape(registry), "khp_problem").items()
    assert (dict(key)["check"], dict(key)["host"], value) == ('Quote " backslash \\ newline \n é', "h,1", 1.0)


def test_a_cluster_whose_problems_healed_counts_zero(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle())
    state.update(known_cycle([SLOTS]))
    counts = series(scrape(registry), "khp_problems")
    assert counts[labels(cluster="alpha", severity="critical")] == 0.0
    assert counts[labels(cluster="beta", severity="warning")] == 1.0
    assert series(scrape(registry), "khp_problem_value") == {labels(**SLOTS_LABELS): 82.0}


def test_alertmanager_s_state_of_each_problem_and_when_it_was_read(
    state: ExporterState, registry: CollectorRegistry
) -> None:
    held = {DISK.key: ("suppressed", "maintenance"), SLOTS.key: ("active", "")}
    state.update(known_cycle(), alertmanager=held, alertmanager_read=(AT - 5, 0))
    state.update(known_cycle(), alertmanager=held, alertmanager_read=(None, 1))  # a read failed: the last one stays
    samples = scrape(registry)
    assert series(samples, "khp_problem_alertmanager_state") == {
        labels(**DISK_LABELS, alertmanager_state="suppressed", reason="maintenance"): 1.0,
        labels(**SLOTS_LABELS, alertmanager_state="active", reason=""): 1.0,
    }
    assert series(samples, "khp_alertmanager_state_timestamp_seconds") == {labels(): AT - 5}
    assert series(samples, "khp_alertmanager_state_read_errors_total") == {labels(): 1.0}


def test_flapping_alerts(state: ExporterState, registry: CollectorRegistry) -> None:
    state.update(known_cycle(), flapping=[SLOTS, SLOTS])
    assert series(scrape(registry), "khp_problem_flapping") == {labels(**SLOTS_LABELS): 1.0}
    state.update(known_cycle())
    assert series(scrape(registry), "khp_problem_flapping") == {}
