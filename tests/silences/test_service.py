"""The service every front end calls: list, extend, end, replace, and its errors, on a real Alertmanager."""

from __future__ import annotations

import time

import pytest

from khp.configuration import Config
from khp.silences import InvalidSilence, SilenceNotFound, SilenceService
from khp.silences._model import wire_time
from tests.realparts.alertmanager import AlertmanagerServer

from .helpers import alert

TASK = "Task slot usage"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def live(am: AlertmanagerServer) -> list[dict]:
    return [s for s in am.silences() if s["status"]["state"] != "expired"]


def test_silences_carry_the_design_matchers_the_author_and_the_marked_reason(
    service: SilenceService, am: AlertmanagerServer
) -> None:
    window = service.start_maintenance("alpha", duration="2h", reason="HDFS upgrade", created_by="kim")
    (raw,) = am.silences()
    assert raw["id"] == window.id
    assert raw["matchers"] == [{"name": "cluster", "value": "alpha", "isRegex": False, "isEqual": True}]
    assert (raw["createdBy"], raw["comment"]) == ("kim", "[khp maintenance] HDFS upgrade")
    assert window.ends_at - time.time() == pytest.approx(7200, abs=60)


def test_list_decodes_kind_per_cluster(service: SilenceService) -> None:
    window = service.start_maintenance("alpha", duration="2h", reason="HDFS upgrade", created_by="kim")
    cri = service.mute(TASK, "beta", "cri", duration="1h", created_by="lee")
    off = service.mute("Slot leak", "alpha", "off", duration="1h", created_by="lee", reason="flapping")

    listed = service.list_silences()
    assert [(s.cluster, s.kind, s.check, s.id) for s in listed] == [
        ("alpha", "maintenance", None, window.id),
        ("alpha", "off", "Slot leak", off.id),
        ("beta", "cri", TASK, cri.id),
    ]
    assert all(s.managed and s.state == "active" for s in listed)
    assert [s.id for s in service.list_silences(cluster="beta")] == [cri.id]
    assert [s.id for s in service.list_silences(kind="off")] == [off.id]
    assert listed[1].reason == "flapping" and listed[1].created_by == "lee"
    with pytest.raises(InvalidSilence, match="unknown silence kind 'mute'; one of maintenance, cri, off"):
        service.list_silences(kind="mute")


def test_extend_moves_the_end_and_keeps_the_rest(service: SilenceService, am: AlertmanagerServer) -> None:
    window = service.start_maintenance("alpha", duration="2h", reason="HDFS upgrade", created_by="kim")
    later = service.extend(window.id, duration="3h")
    assert later.id == window.id  # updated in place, not a second silence
    assert later.ends_at == pytest.approx(window.ends_at + 3 * 3600, abs=0.01)
    (listed,) = service.list_silences()
    assert listed.ends_at == pytest.approx(later.ends_at, abs=0.01)
    assert (listed.reason, listed.created_by) == ("HDFS upgrade", "kim")

    until = time.time() + 86400
    assert service.extend(window.id, until=wire_time(until)).ends_at == pytest.approx(until, abs=0.01)
    assert len(live(am)) == 1


def test_extend_respects_the_bound_from_now(service: SilenceService) -> None:
    window = service.start_maintenance("alpha", duration="40h", reason="HDFS upgrade", created_by="kim")
    with pytest.raises(InvalidSilence) as error:
        service.extend(window.id, duration="10h")  # 50h from now, bound 2d
    assert f"extending silence {window.id} would last 2d2h" in str(error.value)
    assert "longer than the 2d allowed by silences.max_maintenance in" in str(error.value)
    mute = service.mute(TASK, "alpha", "cri", duration="1h", created_by="kim")
    with pytest.raises(InvalidSilence, match=r"allowed by silences\.max_mute in"):
        service.extend(mute.id, duration="1d")
    with pytest.raises(InvalidSilence, match="needs an end"):
        service.extend(mute.id)


def test_end_by_id_twice_is_fine_and_extend_after_is_refused(service: SilenceService, am: AlertmanagerServer) -> None:
    mute = service.mute(TASK, "alpha", "off", duration="1h", created_by="kim")
    ended = service.end(mute.id)
    assert ended is not None and (ended.id, ended.state) == (mute.id, "expired")
    again = service.end(mute.id)
    assert again is not None and again.state == "expired"
    assert service.list_silences() == []
    with pytest.raises(InvalidSilence, match=f"extending silence {mute.id}: it already ended at .*; start a new one"):
        service.extend(mute.id, duration="1h")


def test_unknown_and_malformed_ids(service: SilenceService) -> None:
    with pytest.raises(SilenceNotFound, match=f"no Alertmanager knows silence {UNKNOWN_ID}; list the silences"):
        service.end(UNKNOWN_ID)
    with pytest.raises(SilenceNotFound):
        service.extend(UNKNOWN_ID, duration="1h")
    with pytest.raises(InvalidSilence, match="'alpha' is not a silence ID"):
        service.end("alpha")
    with pytest.raises(SilenceNotFound):
        service.client.expire(UNKNOWN_ID)


def test_muting_again_replaces_khps_earlier_mute(service: SilenceService, am: AlertmanagerServer) -> None:
    first = service.mute(TASK, "alpha", "cri", duration="1h", created_by="kim")
    second = service.mute(TASK, "alpha", "cri", duration="3h", created_by="lee", reason="still noisy")
    assert second.id == first.id
    (raw,) = live(am)
    assert (raw["createdBy"], raw["comment"]) == ("lee", "[khp cri] still noisy")

    off = service.mute(TASK, "alpha", "off", duration="2h", created_by="lee")
    (now_live,) = service.list_silences()
    assert (now_live.id, now_live.kind) == (off.id, "off")
    assert len(live(am)) == 1  # the cri mute ended when the off one replaced it

    other = service.mute(TASK, "beta", "off", duration="2h", created_by="lee")
    assert other.id != off.id and len(live(am)) == 2


def test_starting_maintenance_again_sets_a_new_end_on_the_same_window(
    service: SilenceService, am: AlertmanagerServer
) -> None:
    first = service.start_maintenance("alpha", duration="2h", reason="upgrade", created_by="kim")
    second = service.start_maintenance("alpha", duration="5h", reason="upgrade, part 2", created_by="kim")
    assert second.id == first.id
    (listed,) = service.list_silences()
    assert (listed.reason, listed.ends_at) == ("upgrade, part 2", pytest.approx(second.ends_at, abs=0.01))


def test_end_a_clusters_maintenance_and_unmute(service: SilenceService) -> None:
    service.start_maintenance("alpha", duration="2h", reason="upgrade", created_by="kim")
    cri = service.mute(TASK, "alpha", "cri", duration="1h", created_by="kim")
    assert service.end_maintenance("beta") == []
    assert [s.kind for s in service.end_maintenance("alpha")] == ["maintenance"]
    assert [s.id for s in service.list_silences()] == [cri.id]
    assert service.unmute("Slot leak", "alpha") == []
    assert [s.id for s in service.unmute(TASK, "alpha")] == [cri.id]
    assert service.list_silences() == []


def test_silences_made_elsewhere_are_listed_but_not_replaced(service: SilenceService, am: AlertmanagerServer) -> None:
    now = time.time()
    body = {
        "matchers": [{"name": "cluster", "value": "alpha", "isRegex": False, "isEqual": True}],
        "startsAt": wire_time(now),
        "endsAt": wire_time(now + 600),
        "createdBy": "ops-ui",
        "comment": "rack move",
    }
    status, answer = am.request("POST", "/api/v2/silences", body)
    assert status == 200
    (listed,) = service.list_silences()
    assert (listed.id, listed.kind, listed.managed, listed.reason) == (
        answer["silenceID"],
        "maintenance",
        False,
        "rack move",
    )
    ours = service.start_maintenance("alpha", duration="1h", reason="upgrade", created_by="kim")
    assert ours.id != listed.id and len(service.list_silences()) == 2

    regex = {**body, "matchers": [{"name": "cluster", "value": "al.*", "isRegex": True, "isEqual": True}]}
    _, other = am.request("POST", "/api/v2/silences", regex)
    assert len(service.list_silences()) == 2
    with pytest.raises(
        InvalidSilence, match=r'neither a maintenance window nor a mute \(its matchers are \{cluster=~"al\.\*"\}\)'
    ):
        service.get(other["silenceID"])
    assert service.end(other["silenceID"]) is None  # ending any silence by ID works


def test_every_validation_error_reaches_the_caller(service: SilenceService, am: AlertmanagerServer) -> None:
    cases = [
        (dict(until="2020-01-01T00:00:00Z"), "maintenance of alpha: the end 2020-01-01T00:00:00Z is not in the future"),
        (dict(), "maintenance of alpha needs an end: give an end time (--until) or a duration (--for), at most 2d"),
        (
            dict(duration="3d"),
            "maintenance of alpha would last 3d, longer than the 2d allowed by silences.max_maintenance",
        ),
        (dict(duration="1h", reason=""), "maintenance of alpha needs a reason"),
    ]
    for options, expected in cases:
        arguments = {"reason": "upgrade", "created_by": "kim", **options}
        with pytest.raises(InvalidSilence) as error:
            service.start_maintenance("alpha", **arguments)
        assert expected in str(error.value)
    with pytest.raises(InvalidSilence) as unknown_cluster:
        service.start_maintenance("gamma", duration="1h", reason="upgrade", created_by="kim")
    assert "unknown cluster 'gamma': it has no cluster file in" in str(unknown_cluster.value)
    assert str(unknown_cluster.value).endswith("and no alert in Alertmanager; known clusters: alpha, beta")
    with pytest.raises(InvalidSilence) as unknown_check:
        service.mute("Task slots", "alpha", "cri", duration="1h", created_by="kim")
    assert str(unknown_check.value) == (
        "unknown check 'Task slots' (did you mean 'Task slot usage'?): no monitor emits it; known checks (names are"
        " case-sensitive): Monitor failed, Monitor timed out, Slot leak, Source unavailable, Task slot usage"
    )
    with pytest.raises(InvalidSilence, match="muting 'Task slot usage' on alpha would last 2d, longer than the 1d"):
        service.mute(TASK, "alpha", "off", duration="2d", created_by="kim")
    assert am.silences() == []  # nothing was half-made


def test_a_cluster_seen_in_alertmanager_or_by_the_caller_is_known(config: Config, am: AlertmanagerServer) -> None:
    am.post_alerts([alert(TASK, "gamma", "warning")])
    service = SilenceService(config)
    assert service.known_clusters() == {"alpha", "beta", "gamma"}
    assert service.start_maintenance("gamma", duration="1h", reason="new", created_by="kim").cluster == "gamma"
    told = SilenceService(config, seen_clusters=["delta"])
    assert told.mute("Monitor failed", "delta", "off", duration="1h", created_by="kim").cluster == "delta"


def test_injected_clock_and_checks(config: Config) -> None:
    later = SilenceService(config, clock=lambda: time.time() + 86400, checks=["Computed check"])
    with pytest.raises(InvalidSilence, match="is not in the future"):
        later.start_maintenance("alpha", until=wire_time(time.time() + 3600), reason="x", created_by="kim")
    assert later.known_checks() == {"Computed check"}
