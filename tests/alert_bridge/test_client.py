"""One Alertmanager's alert API: a real Alertmanager, and loopback stand-ins that fail on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from alert_bridge import AlertmanagerClient, DeliveryError, RejectedError
from tests.realparts.alertmanager import running_alertmanager, webhook_config

from .conftest import AlertSink, dead_url


def test_alerts_reach_a_real_alertmanager_and_an_invalid_one_is_rejected(tmp_path: Path) -> None:
    with running_alertmanager(tmp_path, webhook_config("http://127.0.0.1:9/hook")) as am:
        client = AlertmanagerClient(am.url, retries=2, backoff=0.01)
        client.post_alerts([{"labels": {"alertname": "Disk full", "cluster": "alpha", "severity": "warning"}}])
        assert [a["labels"]["cluster"] for a in am.alerts()] == ["alpha"]
        with pytest.raises(RejectedError, match=r"400 .*at least one label pair required.*not sent again") as caught:
            client.post_alerts([{"labels": {}}])
        assert caught.value.status == 400
        client.close()


def test_unavailable_answers_are_retried_with_backoff(sink: AlertSink) -> None:
    sink.status = 503
    retried = []
    client = AlertmanagerClient(sink.url, retries=3, backoff=0.01)

    def recover() -> None:
        retried.append(True)
        sink.status = 200

    client.post(b'[{"labels": {"alertname": "X"}}]', on_retry=recover)
    assert sink.answered == [503, 200] and retried == [True]
    assert sink.alerts == [{"labels": {"alertname": "X"}}]


def test_it_gives_up_after_its_retries_and_says_why(sink: AlertSink) -> None:
    sink.status = 500
    with pytest.raises(DeliveryError, match=r"POST http://127\.0\.0\.1:\d+/api/v2/alerts: 500 .* \(after 3 attempts\)"):
        AlertmanagerClient(sink.url, retries=2, backoff=0.01).post_alerts([{"labels": {"alertname": "X"}}])
    assert sink.answered == [500, 500, 500]


def test_other_client_errors_are_not_retried(sink: AlertSink) -> None:
    sink.status = 404
    with pytest.raises(DeliveryError, match="404") as caught:
        AlertmanagerClient(sink.url, retries=3, backoff=0.01).post_alerts([{"labels": {"alertname": "X"}}])
    assert not isinstance(caught.value, RejectedError) and sink.answered == [404]


def test_a_dead_alertmanager_is_named() -> None:
    url = dead_url()
    with pytest.raises(DeliveryError, match=r"cannot connect \(\[Errno 111\] Connection refused\); is Alertmanager"):
        AlertmanagerClient(url, retries=1, backoff=0.01).post_alerts([{"labels": {"alertname": "X"}}])


def test_a_hung_alertmanager_times_out(sink: AlertSink) -> None:
    sink.hold.set()
    with pytest.raises(DeliveryError, match=r"no answer within 0\.3s"):
        AlertmanagerClient(sink.url, timeout=0.3, retries=0).post_alerts([{"labels": {"alertname": "X"}}])
