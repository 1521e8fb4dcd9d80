"""The rules, against a fixed clock: a mandatory end in the future within the bound, known names, a reason."""

from __future__ import annotations

from typing import Any

import pytest

from khp.silences import InvalidSilence, Maintenance, Mute, end_time, maintenance_request, mute_request

NOW = 1795946400.0  # 2026-11-29T10:00:00Z
KEY = "silences.max_maintenance in khp.yml"
CLUSTERS = {"alpha", "beta"}
CHECKS = {"Task slot usage", "Slot leak", "Monitor failed"}


def maintenance(**overrides: Any) -> Maintenance:
    options: dict[str, Any] = dict(
        until=None, duration="2h", reason="HDFS upgrade", created_by="kim", now=NOW, limit=2 * 86400,
        limit_key=KEY, known_clusters=CLUSTERS, clusters_dir="configs/clusters",
    )  # fmt: skip
    cluster = overrides.pop("cluster", "alpha")
    options.update(overrides)
    return maintenance_request(str(cluster), **options)


def mute(**overrides: Any) -> Mute:
    options: dict[str, Any] = dict(
        until=None, duration="1h", reason="", created_by="kim", now=NOW, limit=86400,
        limit_key="silences.max_mute in khp.yml", known_clusters=CLUSTERS, known_checks=CHECKS,
    )  # fmt: skip
    check = overrides.pop("check", "Task slot usage")
    cluster = overrides.pop("cluster", "beta")
    level = overrides.pop("level", "cri")
    options.update(overrides)
    return mute_request(str(check), str(cluster), str(level), **options)


def test_a_valid_maintenance_starts_now_and_ends_when_asked() -> None:
    request = maintenance(duration="2h")
    assert (request.cluster, request.starts_at, request.ends_at) == ("alpha", NOW, NOW + 7200)
    assert maintenance(duration=None, until="2026-11-30T10:00:00Z").ends_at == NOW + 86400
    assert maintenance(duration=None, until=NOW + 60).ends_at == NOW + 60


def test_missing_end_names_both_ways_and_the_limit() -> None:
    with pytest.raises(InvalidSilence) as error:
        maintenance(duration=None)
    message = str(error.value)
    assert message.startswith("maintenance of alpha needs an end: give an end time (--until) or a duration (--for)")
    assert "at most 2d from now (silences.max_maintenance in khp.yml)" in message
    assert "open-ended" in message


def test_a_past_end_is_refused_with_now() -> None:
    with pytest.raises(InvalidSilence) as error:
        maintenance(duration=None, until="2026-11-29T06:00:00Z")
    assert str(error.value) == (
        "maintenance of alpha: the end 2026-11-29T06:00:00Z is not in the future (now is 2026-11-29T10:00:00Z);"
        " give a later end"
    )
    with pytest.raises(InvalidSilence, match="is not in the future"):
        maintenance(duration=None, until=NOW)


def test_too_long_names_the_limit_and_the_config_key() -> None:
    with pytest.raises(InvalidSilence) as error:
        maintenance(duration="3d")
    assert str(error.value) == (
        "maintenance of alpha would last 3d, longer than the 2d allowed by silences.max_maintenance in khp.yml;"
        " choose an earlier end, or raise silences.max_maintenance in khp.yml in the configuration"
    )
    with pytest.raises(InvalidSilence, match=r"muting 'Task slot usage' on beta would last 1d1h, longer than the 1d"
                       r" allowed by silences.max_mute"):  # fmt: skip
        mute(duration="25h")


def test_exactly_the_limit_is_allowed() -> None:
    assert maintenance(duration="2d").ends_at == NOW + 2 * 86400


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"duration": "soon"}, "maintenance of alpha: duration 'soon' is not a duration; write it like '30s'"),
        ({"duration": "0s"}, "maintenance of alpha: the duration must be more than 0, at most 2d from now"),
        ({"duration": None, "until": "tomorrow"}, "maintenance of alpha: end time 'tomorrow' is not a time"),
        ({"until": "2026-11-30T00:00:00Z"}, "give an end time (--until) or a duration (--for), not both"),
        ({"reason": "  "}, "maintenance of alpha needs a reason (--reason TEXT), so others know why alpha is silent"),
        ({"created_by": ""}, "say who sets the silence (created_by, --by NAME)"),
    ],
)
def test_bad_maintenance_requests_say_what_to_do(options: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidSilence) as error:
        maintenance(**options)
    assert expected in str(error.value)


def test_an_unknown_cluster_lists_the_known_ones_and_suggests() -> None:
    with pytest.raises(InvalidSilence) as error:
        maintenance(cluster="alfa")
    assert str(error.value) == (
        "unknown cluster 'alfa' (did you mean 'alpha'?): it has no cluster file in configs/clusters and no alert in"
        " Alertmanager; known clusters: alpha, beta"
    )
    with pytest.raises(InvalidSilence, match="name a cluster; known clusters: alpha, beta"):
        maintenance(cluster="")


def test_an_unknown_check_lists_the_known_ones() -> None:
    with pytest.raises(InvalidSilence) as error:
        mute(check="task slot usage")
    assert str(error.value) == (
        "unknown check 'task slot usage' (did you mean 'Task slot usage'?): no monitor emits it; known checks"
        " (names are case-sensitive): Monitor failed, Slot leak, Task slot usage"
    )


def test_a_mute_level_is_cri_or_off() -> None:
    assert mute(level="off").kind == "off"
    with pytest.raises(InvalidSilence, match=r"unknown mute level 'critical'; use 'cri' \(send critical only\) or"):
        mute(level="critical")


def test_a_mute_needs_no_reason_but_an_end() -> None:
    request = mute(reason="")
    assert (request.check, request.cluster, request.reason) == ("Task slot usage", "beta", "")
    with pytest.raises(InvalidSilence, match="muting 'Task slot usage' on beta needs an end"):
        mute(duration=None)


def test_end_time_alone() -> None:
    assert end_time(NOW, None, 90, limit=100, limit_key="k", what="w") == NOW + 90
    with pytest.raises(InvalidSilence, match="w would last 1m41s, longer than the 1m40s allowed by k"):
        end_time(NOW, None, 101, limit=100, limit_key="k", what="w")
