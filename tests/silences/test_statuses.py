"""Alertmanager's state of each alert: active, or suppressed by maintenance, a mute, another silence or
an inhibition, read from a real Alertmanager's API (and from its documented answers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from khp.silences import (
    AlertmanagerClient,
    AlertStatus,
    SilenceService,
    StatusWatch,
    alert_statuses,
    status_key,
)
from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

from .helpers import alert, project_config, wait_for

TASK = "Task slot usage"


def am_alert(
    labels: dict[str, str], state: str, silenced: tuple[str, ...] = (), inhibited: tuple[str, ...] = ()
) -> dict[str, Any]:
    return {
        "labels": labels,
        "status": {"state": state, "silencedBy": list(silenced), "inhibitedBy": list(inhibited)},
    }


def am_silence(silence_id: str, matchers: dict[str, str], comment: str = "") -> dict[str, Any]:
    return {
        "id": silence_id,
        "matchers": [{"name": k, "value": v, "isRegex": False, "isEqual": True} for k, v in matchers.items()],
        "startsAt": "2026-11-29T10:00:00.000Z",
        "endsAt": "2026-11-29T12:00:00.000Z",
        "createdBy": "kim",
        "comment": comment,
        "status": {"state": "active"},
    }


def test_the_reason_of_a_suppression_comes_from_the_silence_s_kind() -> None:
    labels = {"alertname": TASK, "monitor": "DruidMonitor", "cluster": "alpha", "severity": "warning"}
    silences = [
        am_silence("m1", {"cluster": "alpha"}, "[khp maintenance] upgrade"),
        am_silence("c1", {"alertname": TASK, "cluster": "alpha", "severity": "warning"}),
        am_silence("x1", {"alertname": TASK}),
    ]
    found = alert_statuses(
        [
            am_alert(labels, "suppressed", ("c1", "m1"), ("fp",)),
            am_alert({**labels, "cluster": "beta"}, "suppressed", ("c1",)),
            am_alert({**labels, "cluster": "gamma"}, "suppressed", ("x1",)),
            am_alert({**labels, "cluster": "delta"}, "suppressed", (), ("f00d",)),
            am_alert({**labels, "cluster": "eps", "host": "h1"}, "active"),
            {"labels": {**labels, "cluster": "zeta"}},
        ],
        silences,
    )
    key = status_key(labels)
    assert key == (TASK, "DruidMonitor", "alpha", None, "warning")
    assert found[key] == AlertStatus("suppressed", "maintenance", ("cri c1", "maintenance m1"), ("fp",))
    assert found[key].describe() == "maintenance: silence cri c1, maintenance m1"
    assert found[status_key({**labels, "cluster": "beta"})].reason == "muted"
    assert found[status_key({**labels, "cluster": "gamma"})].reason == "silenced"
    inhibited = found[status_key({**labels, "cluster": "delta"})]
    assert (inhibited.reason, inhibited.describe()) == ("inhibited", "inhibited by the critical alert (f00d)")
    active = found[(TASK, "DruidMonitor", "eps", "h1", "warning")]
    assert (active.state, active.reason, active.suppressed) == ("active", "", False)
    assert found[status_key({**labels, "cluster": "zeta"})].state == "unprocessed"


def test_a_real_alertmanager_says_what_it_holds_back_and_why(tmp_path: Path) -> None:
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        config = project_config(tmp_path / "project", [am.url])
        service = SilenceService(config)
        am.post_alerts(
            [
                alert(TASK, "alpha", "warning"),  # alpha is in maintenance
                alert(TASK, "beta", "warning"),  # CRI on beta: the warning is muted...
                alert(TASK, "beta", "critical"),  # ... the critical still goes out
                alert("Slot leak", "gamma", "warning"),  # gamma: inhibited by its critical
                alert("Slot leak", "gamma", "critical"),
                alert("Slot leak", "beta", "warning"),  # nothing holds it
            ]
        )
        maintenance = service.start_maintenance("alpha", duration="1h", reason="upgrade", created_by="kim")
        mute = service.mute(TASK, "beta", "cri", duration="1h", created_by="kim")
        watch = StatusWatch(AlertmanagerClient([am.url], timeout=5.0))
        try:

            def settled() -> Any:
                reading = watch.read()
                gamma = reading.statuses.get(("Slot leak", "", "gamma", "h1", "warning"))
                return reading if gamma is not None and gamma.suppressed else None

            reading = wait_for(settled, "gamma's warning inhibited")
            assert reading.ok and reading.error == ""
            by_cluster = {
                (cluster, check, severity): (status.state, status.reason)
                for (check, _monitor, cluster, _host, severity), status in reading.statuses.items()
            }
            assert by_cluster == {
                ("alpha", TASK, "warning"): ("suppressed", "maintenance"),
                ("beta", TASK, "warning"): ("suppressed", "muted"),
                ("beta", TASK, "critical"): ("active", ""),
                ("gamma", "Slot leak", "warning"): ("suppressed", "inhibited"),
                ("gamma", "Slot leak", "critical"): ("active", ""),
                ("beta", "Slot leak", "warning"): ("active", ""),
            }
            alpha = reading.statuses[(TASK, "", "alpha", "h1", "warning")]
            assert alpha.silences == (f"maintenance {maintenance.id}",)
            beta = reading.statuses[(TASK, "", "beta", "h1", "warning")]
            assert beta.describe() == f"muted: silence cri {mute.id}"
            # the background read: poll() never waits, and hands over a finished read once
            assert watch.poll() is None
            assert watch.wait(10.0)
            later = watch.poll()
            assert later is not None and later.statuses == reading.statuses
        finally:
            watch.close()


def test_an_alertmanager_that_does_not_answer_is_a_failed_read_not_an_exception(tmp_path: Path) -> None:
    from tests.realparts.prometheus import free_port

    watch = StatusWatch(AlertmanagerClient([f"http://127.0.0.1:{free_port()}"], timeout=1.0), clock=lambda: 42.0)
    try:
        reading = watch.read()
        assert not reading.ok and reading.started == 42.0 and reading.statuses == {}
        assert "no Alertmanager answered" in reading.error and "cannot connect" in reading.error
    finally:
        watch.close()
