"""What each kind of silence does to notifications, on a real Alertmanager and a recording webhook."""

from __future__ import annotations

from khp.silences import SilenceService
from tests.realparts.alertmanager import AlertmanagerServer, WebhookRecorder

from .helpers import alert, notified, silenced_by, wait_for

TASK = "Task slot usage"


def test_maintenance_silences_one_cluster_until_it_ends(
    service: SilenceService, am: AlertmanagerServer, hook: WebhookRecorder
) -> None:
    window = service.start_maintenance("alpha", duration="1h", reason="HDFS upgrade", created_by="kim")
    am.post_alerts([alert(TASK, "alpha", "critical"), alert(TASK, "beta", "critical")])

    wait_for(lambda: notified(hook, cluster="beta"), "beta's alert notified")
    assert wait_for(lambda: silenced_by(am, TASK, "alpha", "critical"), "alpha's alert silenced") == [window.id]
    assert silenced_by(am, TASK, "beta", "critical") == []
    assert notified(hook, cluster="alpha") == []

    (ended,) = service.end_maintenance("alpha")
    assert ended.id == window.id and ended.state == "expired"
    wait_for(lambda: notified(hook, cluster="alpha"), "alpha notified once maintenance ended")
    assert silenced_by(am, TASK, "alpha", "critical") == []


def test_cri_lets_critical_through_and_holds_warning(
    service: SilenceService, am: AlertmanagerServer, hook: WebhookRecorder
) -> None:
    mute = service.mute(TASK, "alpha", "cri", duration="1h", created_by="kim", reason="known, ticket 42")
    am.post_alerts([alert(TASK, "alpha", "warning", host="h1"), alert(TASK, "alpha", "critical", host="h2")])

    wait_for(lambda: notified(hook, alertname=TASK, severity="critical"), "the critical alert notified")
    assert wait_for(lambda: silenced_by(am, TASK, "alpha", "warning"), "warning silenced") == [mute.id]
    assert silenced_by(am, TASK, "alpha", "critical") == []
    assert notified(hook, severity="warning") == []


def test_off_holds_both_levels_of_that_check_only(
    service: SilenceService, am: AlertmanagerServer, hook: WebhookRecorder
) -> None:
    mute = service.mute(TASK, "alpha", "off", duration="1h", created_by="kim")
    am.post_alerts(
        [
            alert(TASK, "alpha", "warning", host="h1"),
            alert(TASK, "alpha", "critical", host="h2"),
            alert("Slot leak", "alpha", "warning"),
            alert(TASK, "beta", "warning"),
        ]
    )
    wait_for(lambda: notified(hook, alertname="Slot leak"), "the other check notified")
    wait_for(lambda: notified(hook, alertname=TASK, cluster="beta"), "the same check on another cluster notified")
    assert wait_for(lambda: silenced_by(am, TASK, "alpha", "warning"), "warning silenced") == [mute.id]
    assert wait_for(lambda: silenced_by(am, TASK, "alpha", "critical"), "critical silenced") == [mute.id]
    assert notified(hook, alertname=TASK, cluster="alpha") == []


def test_notifications_come_back_when_the_window_expires(
    service: SilenceService, am: AlertmanagerServer, hook: WebhookRecorder
) -> None:
    mute = service.mute(TASK, "alpha", "off", duration="5s", created_by="kim")
    am.post_alerts([alert(TASK, "alpha", "critical")])
    assert wait_for(lambda: silenced_by(am, TASK, "alpha", "critical"), "silenced while the window lasts") == [mute.id]

    wait_for(lambda: notified(hook, alertname=TASK, cluster="alpha"), "notified after the window expired")
    assert service.list_silences(cluster="alpha") == []
    assert [s["status"]["state"] for s in am.silences()] == ["expired"]
