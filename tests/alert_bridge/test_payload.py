"""The alert a problem becomes: labels, annotations (all strings), startsAt/endsAt, generatorURL."""

from __future__ import annotations

from alert_bridge import FIRING, RESOLVED, AlertState, alert
from alert_bridge._payload import number, timestamp
from evaluator import MONITOR_FAILED

from .conftest import SOURCE, T0, problem


def test_a_host_level_problem_carries_every_label_and_annotation_as_strings() -> None:
    state = AlertState(problem(), FIRING, since=T0, fired=T0 + 300, starts_at=T0 + 300)
    body = alert(state, wall=T0 + 360, valid_for=240.0)
    assert body == {
        "labels": {
            "alertname": "Disk full",
            "monitor": "HdfsMonitor",
            "cluster": "alpha",
            "host": "a-dn1",
            "service": "hdfs",
            "severity": "warning",
        },
        "annotations": {
            "description": "Disk usage above threshold",
            "value": "91.5",
            "threshold": "90",
            "compare": ">",
            "source": SOURCE,
        },
        "startsAt": "2026-11-29T10:05:00.000Z",
        "endsAt": "2026-11-29T10:10:00.000Z",  # now + valid_for
        "generatorURL": SOURCE,
    }
    assert all(isinstance(value, str) for part in ("labels", "annotations") for value in body[part].values())


def test_a_cluster_level_problem_has_no_host_label() -> None:
    body = alert(AlertState(problem(host=None), FIRING, since=T0, starts_at=T0), wall=T0, valid_for=240.0)
    assert "host" not in body["labels"] and body["labels"]["cluster"] == "alpha"


def test_a_monitor_failure_has_no_cluster_and_no_measurement() -> None:
    failure = problem(
        check=MONITOR_FAILED,
        cluster=None,
        host=None,
        value=None,
        compare=None,
        threshold=None,
        description="SourceUnavailable: metrics: connection refused",
        service="khp",
        source="evaluator/monitors/hdfs.py#L12",
    )
    body = alert(AlertState(failure, FIRING, since=T0, starts_at=T0), wall=T0, valid_for=240.0)
    assert body["labels"] == {
        "alertname": "Monitor failed",
        "monitor": "HdfsMonitor",
        "service": "khp",
        "severity": "warning",
    }
    assert body["annotations"] == {
        "description": "SourceUnavailable: metrics: connection refused",
        "source": "evaluator/monitors/hdfs.py#L12",
    }
    assert "generatorURL" not in body  # a path is not a URL


def test_a_resolved_alert_ends_when_it_resolved() -> None:
    state = AlertState(problem(), RESOLVED, since=T0, fired=T0, resolved=T0 + 600, starts_at=T0, ends_at=T0 + 601)
    body = alert(state, wall=T0 + 1200, valid_for=240.0)
    assert (body["startsAt"], body["endsAt"]) == ("2026-11-29T10:00:00.000Z", "2026-11-29T10:10:01.000Z")


def test_an_empty_service_is_left_out() -> None:
    body = alert(AlertState(problem(service=""), FIRING, since=T0, starts_at=T0), wall=T0, valid_for=60.0)
    assert "service" not in body["labels"]


def test_numbers_read_as_written() -> None:
    assert [number(v) for v in (599.0, 46.9, 0.1 + 0.2, 1234567.0, -3.5, 1e20)] == [
        "599",
        "46.9",
        "0.3",
        "1234567",
        "-3.5",
        "1e+20",
    ]
    assert timestamp(T0 + 0.25) == "2026-11-29T10:00:00.250Z"


def test_what_to_do_first_is_the_action_annotation() -> None:
    body = alert(AlertState(problem(action="Clear old logs"), FIRING, since=T0, starts_at=T0), wall=T0, valid_for=60.0)
    assert body["annotations"]["action"] == "Clear old logs"
    plain = alert(AlertState(problem(), FIRING, since=T0, starts_at=T0), wall=T0, valid_for=60.0)
    assert "action" not in plain["annotations"]
