"""Receiver names and the rooms behind them: the contract with the khp receiver."""

from __future__ import annotations

import pytest

from khp.routing import (
    ReceiverName,
    UnknownReceiver,
    alert_rooms,
    critical_rooms,
    parse_receiver_name,
    receiver_name,
    receiver_rooms,
    rooms_for_receiver,
)

from .fleet import DEFAULT_ROOMS, HALF_ROOMS, OWN_ROOMS, fleet_config


def test_names_of_default_and_cluster_receivers() -> None:
    assert [receiver_name(level) for level in ("default", "warning", "critical")] == [
        "khp-default",
        "khp-warning",
        "khp-critical",
    ]
    assert receiver_name("critical", "alpha") == "khp-alpha-critical"
    assert receiver_name("warning", "half-x") == "khp-half-x-warning"


def test_a_name_needs_a_known_level_and_a_real_cluster() -> None:
    with pytest.raises(ValueError, match="expected one of default, warning, critical"):
        receiver_name("info")
    with pytest.raises(ValueError, match="empty name"):
        receiver_name("warning", "")


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("khp-default", ReceiverName("default")),
        ("khp-warning", ReceiverName("warning")),
        ("khp-alpha-critical", ReceiverName("critical", "alpha")),
        ("khp-half-x-warning", ReceiverName("warning", "half-x")),
        ("khp-warning-warning", ReceiverName("warning", "warning")),
    ],
)
def test_parsing_takes_the_level_from_the_end(name: str, parsed: ReceiverName) -> None:
    assert parse_receiver_name(name) == parsed
    assert str(parsed) == name


@pytest.mark.parametrize("name", ["kakao", "khp-", "khp-alpha", "khp-alpha-info", "alpha-warning", "khp--"])
def test_names_not_ours_are_refused_with_the_scheme(name: str) -> None:
    with pytest.raises(UnknownReceiver, match=r"khp-<cluster>-<level>.*khp alertmanager-config"):
        parse_receiver_name(name)


def test_rooms_of_every_rendered_receiver() -> None:
    assert receiver_rooms(fleet_config()) == {
        "khp-heartbeat": (),  # the receiver notes the heartbeat; no room gets it
        "khp-default": ("kakaowork:100", "kakaowork:200", "kakaotalk:oncall"),
        "khp-warning": DEFAULT_ROOMS["warning"],
        "khp-critical": DEFAULT_ROOMS["critical"],
        "khp-half-x-default": ("kakaowork:100", "kakaowork:2"),
        "khp-half-x-critical": HALF_ROOMS["critical"],
        "khp-own-default": ("kakaowork:1", "kakaotalk:own"),
        "khp-own-warning": OWN_ROOMS["warning"],
        "khp-own-critical": OWN_ROOMS["critical"],
    }


def test_rooms_for_a_receiver_name() -> None:
    config = fleet_config()
    assert rooms_for_receiver(config, "khp-own-critical") == ("kakaotalk:own",)
    assert rooms_for_receiver(config, "khp-critical") == ("kakaowork:200", "kakaotalk:oncall")
    assert rooms_for_receiver(config, "khp-half-x-critical") == ("kakaowork:2",)


def test_an_older_alertmanager_yml_still_reaches_the_default_rooms() -> None:
    config = fleet_config()
    assert rooms_for_receiver(config, "khp-gone-critical") == DEFAULT_ROOMS["critical"]  # cluster file removed
    assert rooms_for_receiver(config, "khp-half-x-warning") == DEFAULT_ROOMS["warning"]  # its warning rooms removed
    with pytest.raises(UnknownReceiver):
        rooms_for_receiver(config, "team-db-pager")


def test_the_heartbeat_receiver_has_no_room() -> None:
    parsed = parse_receiver_name("khp-heartbeat")
    assert parsed.heartbeat and str(parsed) == "khp-heartbeat"
    assert rooms_for_receiver(fleet_config(), "khp-heartbeat") == ()
    assert not parse_receiver_name("khp-alpha-critical").heartbeat


def test_critical_rooms_are_the_default_and_every_clusters_own() -> None:
    assert critical_rooms(fleet_config()) == ("kakaowork:200", "kakaotalk:oncall", "kakaowork:2", "kakaotalk:own")


def test_an_alert_reaches_the_rooms_of_its_clusters_route_for_its_severity() -> None:
    config = fleet_config()
    assert alert_rooms(config, "own", "critical") == OWN_ROOMS["critical"]
    assert alert_rooms(config, "half-x", "critical") == HALF_ROOMS["critical"]
    assert alert_rooms(config, "half-x", "warning") == DEFAULT_ROOMS["warning"]  # no warning rooms of its own
    assert alert_rooms(config, "unknown", "warning") == DEFAULT_ROOMS["warning"]
    assert alert_rooms(config, None, "critical") == DEFAULT_ROOMS["critical"]
    assert alert_rooms(config, "own", "none") == ("kakaowork:1", "kakaotalk:own")  # the root route: both levels
