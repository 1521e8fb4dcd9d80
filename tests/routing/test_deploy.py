"""Putting a rendered alertmanager.yml in force: amtool's verdict, the atomic write, every Alertmanager's reload."""

from __future__ import annotations

from pathlib import Path

import pytest

from khp.routing import RoutingRejected, deploy, reload_all, write_checked
from tests.realparts.alertmanager import AMTOOL, running_alertmanager, webhook_config
from tests.realparts.prometheus import free_port

BROKEN = "route:\n  receiver: nobody\nreceivers: []\n"  # a route to a receiver that does not exist


@pytest.mark.skipif(AMTOOL is None, reason="amtool is not installed (Debian package prometheus-alertmanager)")
def test_a_configuration_amtool_rejects_leaves_the_file_in_force(tmp_path: Path) -> None:
    target = tmp_path / "alertmanager.yml"
    target.write_text(webhook_config("http://127.0.0.1:9/hook"))
    before = target.read_text()
    with pytest.raises(RoutingRejected, match="amtool check-config rejected it") as caught:
        write_checked(target, BROKEN)
    assert "nobody" in str(caught.value) and str(target) in str(caught.value)
    assert target.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alertmanager.yml"]  # no candidate left behind


def test_every_alertmanager_is_reloaded_and_the_ones_that_fail_are_named(tmp_path: Path) -> None:
    with running_alertmanager(tmp_path / "am", webhook_config("http://127.0.0.1:9/hook")) as am:
        nowhere = f"http://127.0.0.1:{free_port()}"
        am.config_path.write_text(webhook_config("http://127.0.0.1:9/other", group_wait="3s"))
        done = deploy(am.config_path.read_text(), am.config_path, [am.url, nowhere], timeout=2.0)
        assert done.reloaded == (am.url,) and list(done.failed) == [nowhere]
        assert "cannot connect" in done.failed[nowhere]
        status, answer = am.request("GET", "/api/v2/status")
        assert status == 200 and "group_wait: 3s" in answer["config"]["original"]
        am.config_path.write_text("not: [valid")  # Alertmanager itself refuses a file it cannot read
        reloaded, failed = reload_all([am.url], timeout=5.0)
        assert reloaded == () and failed[am.url].startswith("HTTP 500")
