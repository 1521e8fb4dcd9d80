"""Kinds, matchers and request bodies exactly as DESIGN §5 has them; decoding Alertmanager's silences."""

from __future__ import annotations

import pytest

from khp.silences import CRI, MAINTENANCE, OFF, Maintenance, Mute, decode, matchers_for
from khp.silences._model import parse_wire_time, wire_time

NOW = 1795946400.0  # 2026-11-29T10:00:00Z


def eq(name: str, value: str) -> dict[str, object]:
    return {"name": name, "value": value, "isRegex": False, "isEqual": True}


def test_matchers_are_the_design_contract() -> None:
    assert matchers_for(MAINTENANCE, "alpha") == [eq("cluster", "alpha")]
    assert matchers_for(CRI, "alpha", "Disk full") == [
        eq("alertname", "Disk full"),
        eq("cluster", "alpha"),
        eq("severity", "warning"),
    ]
    assert matchers_for(OFF, "alpha", "Disk full") == [eq("alertname", "Disk full"), eq("cluster", "alpha")]
    with pytest.raises(ValueError, match="needs a check name"):
        matchers_for(CRI, "alpha")


def test_a_maintenance_body_has_every_field_alertmanager_requires() -> None:
    body = Maintenance("alpha", NOW, NOW + 3600, "HDFS upgrade", "kim").body()
    assert body == {
        "matchers": [eq("cluster", "alpha")],
        "startsAt": "2026-11-29T10:00:00.000Z",
        "endsAt": "2026-11-29T11:00:00.000Z",
        "createdBy": "kim",
        "comment": "[khp maintenance] HDFS upgrade",
    }
    assert Maintenance("alpha", NOW, NOW + 60, "x", "kim").body("some-id")["id"] == "some-id"


def test_bodies_decode_back_into_what_they_were() -> None:
    mute = Mute("Disk full", "beta", CRI, NOW, NOW + 600, "", "lee")
    raw = {**mute.body("abc"), "status": {"state": "active"}}
    silence = decode(raw)
    assert silence is not None
    assert (silence.id, silence.kind, silence.cluster, silence.check) == ("abc", CRI, "beta", "Disk full")
    assert (silence.starts_at, silence.ends_at, silence.created_by) == (NOW, NOW + 600, "lee")
    assert (silence.reason, silence.state, silence.managed, silence.live) == ("", "active", True, True)
    off = decode({**Mute("Disk full", "beta", OFF, NOW, NOW + 600, "noisy", "lee").body("d")})
    assert off is not None and (off.kind, off.reason) == (OFF, "noisy")


def test_kind_comes_from_the_matchers_and_the_marker_only_says_khp_made_it() -> None:
    from_ui = {
        "id": "u1",
        "matchers": [eq("cluster", "alpha")],
        "startsAt": "2026-11-29T10:00:00.000Z",
        "endsAt": "2026-11-29T11:00:00.000Z",
        "createdBy": "ops",
        "comment": "rack move",
        "status": {"state": "pending"},
    }
    silence = decode(from_ui)
    assert silence is not None
    assert (silence.kind, silence.managed, silence.reason, silence.live) == (MAINTENANCE, False, "rack move", True)


@pytest.mark.parametrize(
    "matchers",
    [
        [eq("cluster", "alpha"), eq("host", "h1")],
        [{**eq("cluster", "alpha.*"), "isRegex": True}],
        [{**eq("cluster", "alpha"), "isEqual": False}],
        [eq("alertname", "X"), eq("cluster", "alpha"), eq("severity", "critical")],
        [eq("alertname", "X")],
        [],
    ],
)
def test_other_silences_are_no_khp_kind(matchers: list[dict[str, object]]) -> None:
    raw = {"id": "x", "matchers": matchers, "startsAt": "2026-11-29T10:00:00Z", "endsAt": "2026-11-29T11:00:00Z"}
    assert decode(raw) is None


def test_times_round_trip_at_alertmanagers_precision() -> None:
    assert wire_time(NOW + 0.056) == "2026-11-29T10:00:00.056Z"
    assert parse_wire_time("2026-11-29T10:00:00.056Z") == pytest.approx(NOW + 0.056)
    assert parse_wire_time("2026-11-29T10:00:00.123456789Z") == pytest.approx(NOW + 0.123456789)
    assert parse_wire_time("2026-11-29T12:00:00+02:00") == NOW
    with pytest.raises(ValueError):
        parse_wire_time("yesterday")


def test_describe_says_what_until_when_by_whom_and_why() -> None:
    silence = decode({**Maintenance("alpha", NOW, NOW + 3600, "HDFS upgrade", "kim").body("id1")})
    assert silence is not None
    assert silence.describe() == "alpha in maintenance until 2026-11-29T11:00:00Z (by kim: HDFS upgrade; silence id1)"
    cri = decode({**Mute("Disk full", "beta", CRI, NOW, NOW + 60, "", "lee").body("id2")})
    assert cri is not None
    assert cri.describe() == "'Disk full' on beta: critical only until 2026-11-29T10:01:00Z (by lee; silence id2)"
    assert cri.as_dict()["ends_at"] == "2026-11-29T10:01:00Z"
