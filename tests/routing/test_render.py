"""The rendered ``alertmanager.yml`` document, for a config built in the test."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from khp.configuration import Config, HeartbeatConfig, RouteTimings, RoutingConfig
from khp.routing import alertmanager_duration, matcher, render_alertmanager_config, render_alertmanager_yaml

from .fleet import fleet_config

AUTH = {"authorization": {"type": "Bearer", "credentials_file": "/etc/khp/receiver-token"}}


def severity_routes(warning: str, critical: str) -> list[dict[str, Any]]:
    return [
        {"matchers": ['severity="warning"'], "receiver": warning},
        {"matchers": ['severity="critical"'], "receiver": critical},
    ]


HEARTBEAT_ROUTE = {
    "matchers": ['alertname="Heartbeat"', 'severity="none"'],
    "receiver": "khp-heartbeat",
    "group_by": ["alertname"],
    "group_wait": "0s",
    "group_interval": "30s",
    "repeat_interval": "1m",
    "continue": False,
}


def test_route_tree() -> None:
    route = render_alertmanager_config(fleet_config())["route"]
    assert route == {
        "receiver": "khp-default",
        "group_by": ["alertname", "cluster"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [
            HEARTBEAT_ROUTE,
            {
                "matchers": ['cluster="half-x"'],
                "receiver": "khp-half-x-default",
                "continue": False,
                "routes": severity_routes("khp-warning", "khp-half-x-critical"),
            },
            {
                "matchers": ['cluster="own"'],
                "receiver": "khp-own-default",
                "group_wait": "10s",
                "repeat_interval": "1h",
                "continue": False,
                "routes": severity_routes("khp-own-warning", "khp-own-critical"),
            },
            {
                "matchers": ['cluster="timed"'],
                "receiver": "khp-default",
                "group_interval": "1m",
                "continue": False,
                "routes": severity_routes("khp-warning", "khp-critical"),
            },
            *severity_routes("khp-warning", "khp-critical"),
        ],
    }


def test_a_cluster_with_neither_rooms_nor_timings_has_no_route() -> None:
    route = render_alertmanager_config(fleet_config())["route"]
    assert not [r for r in route["routes"] if r["matchers"] == ['cluster="plain"']]


def test_critical_inhibits_warning_on_equal_alertname_cluster_host() -> None:
    assert render_alertmanager_config(fleet_config())["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "cluster", "host"],
        }
    ]


def test_receivers_are_webhooks_to_the_khp_receiver_with_a_credentials_file() -> None:
    receivers = render_alertmanager_config(fleet_config())["receivers"]
    heartbeat, *receivers = receivers
    assert heartbeat == {
        "name": "khp-heartbeat",
        "webhook_configs": [{"url": "http://127.0.0.1:8080/alertmanager", "send_resolved": False, "http_config": AUTH}],
    }
    assert [r["name"] for r in receivers] == [
        "khp-default",
        "khp-warning",
        "khp-critical",
        "khp-half-x-default",
        "khp-half-x-critical",
        "khp-own-default",
        "khp-own-warning",
        "khp-own-critical",
    ]
    for receiver in receivers:
        assert receiver["webhook_configs"] == [
            {"url": "http://127.0.0.1:8080/alertmanager", "send_resolved": True, "http_config": AUTH}
        ]


def test_every_route_names_a_receiver_that_exists() -> None:
    document = render_alertmanager_config(fleet_config())
    names = {r["name"] for r in document["receivers"]}

    def used(route: dict[str, Any]) -> set[str]:
        return {route["receiver"]}.union(*(used(child) for child in route.get("routes", [])))

    assert used(document["route"]) <= names


def test_without_a_credentials_file_there_is_no_authorization() -> None:
    config = Config(routing=RoutingConfig(credentials_file=""))
    (webhook,) = render_alertmanager_config(config)["receivers"][0]["webhook_configs"]
    assert "http_config" not in webhook


def test_unset_timings_are_left_to_alertmanager() -> None:
    config = Config(routing=RoutingConfig(timings=RouteTimings(group_wait=5.0)))
    route = render_alertmanager_config(config)["route"]
    assert route["group_wait"] == "5s"
    assert "group_interval" not in route
    assert "repeat_interval" not in route


def test_rendering_is_deterministic() -> None:
    text = render_alertmanager_yaml(fleet_config())
    assert render_alertmanager_yaml(fleet_config()) == text
    assert render_alertmanager_yaml(fleet_config(reverse=True)) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "30s"), (300, "5m"), (14400, "4h"), (5400, "1h30m"), (86400, "1d"), (93784.5, "1d2h3m4s500ms"), (0, "0s")],
)
def test_durations_as_alertmanager_writes_them(seconds: float, text: str) -> None:
    assert alertmanager_duration(seconds) == text


def test_matcher_values_are_escaped() -> None:
    assert matcher("cluster", "alpha") == 'cluster="alpha"'
    assert matcher("cluster", 'a"b\\c') == 'cluster="a\\"b\\\\c"'


def test_the_heartbeat_route_takes_its_timings_from_the_heartbeat_section() -> None:
    config = dataclasses.replace(fleet_config(), heartbeat=HeartbeatConfig(group_interval=15.0, repeat_interval=45.0))
    first = render_alertmanager_config(config)["route"]["routes"][0]
    assert (first["receiver"], first["group_interval"], first["repeat_interval"]) == ("khp-heartbeat", "15s", "45s")
