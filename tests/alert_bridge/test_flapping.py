"""Flapping: an alert that fires and resolves too often is held firing under one notification until
its problem is stable (Nagios/Icinga semantics); alerts that do not flap are sent as before."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from alert_bridge import AlertBridge, Flapping, FlappingSettings, flapping_settings
from alert_bridge._payload import timestamp
from evaluator import Changes, diff_problems
from khp._pipeline import transitions
from khp.configuration import Config, ConfigError
from khp.history import statistics
from tests.realparts.alertmanager import WebhookRecorder, running_alertmanager, webhook_config

from .conftest import T0, AlertSink, FakeClock, config, cycle, problem

DISK = problem(pending=0.0)  # fires at once: every coming and going is a state change of its alert


def flapping_config(store: Path, urls: Iterable[str], **section: Any) -> Config:
    base = config(store, urls)
    return dataclasses.replace(base, file="khp.yml", components=MappingProxyType({"flapping": section}))


def test_the_settings_and_their_errors() -> None:
    assert flapping_settings(Config()) == FlappingSettings(changes=4, window=3600.0, stable=1800.0)
    given = flapping_config(Path("x.db"), [], changes=6, window="2h", stable="45m")
    assert flapping_settings(given) == FlappingSettings(6, 7200.0, 2700.0)
    assert not flapping_settings(flapping_config(Path("x.db"), [], changes=0)).enabled
    for section, message in (
        ({"changes": -1}, "khp.yml: flapping.changes: expected a whole number of 0 or more"),
        ({"window": "soon"}, "khp.yml: flapping.window:"),
        ({"stable": 0}, "khp.yml: flapping.stable:"),
        ({"change": 3}, "khp.yml: flapping.change: unknown key; allowed keys here: changes, window, stable"),
    ):
        with pytest.raises(ConfigError) as caught:
            flapping_settings(flapping_config(Path("x.db"), [], **section))
        assert str(caught.value).startswith(message), str(caught.value)


class Run:
    """A bridge on a recording Alertmanager stand-in, driven one cycle a minute of evaluation time."""

    def __init__(self, bridge: AlertBridge, sink: AlertSink | None = None) -> None:
        self.bridge = bridge
        self.sink = sink
        self.at = T0
        self.active: dict = {}
        self.events: list = []

    def cycle(self, present: bool) -> list[dict[str, Any]]:
        """One cycle with DISK there or not; the alerts sent in it."""
        before = len(self.sink.alerts) if self.sink is not None else 0
        result = cycle(self.at, [DISK] if present else [])
        changes: Changes = diff_problems(self.active, result.problems, result.failed_monitors)
        self.active = changes.active
        report = self.bridge.process(result)
        self.events += transitions(self.at, changes, report, self.bridge.flapping.cycle)
        self.bridge.flush()
        self.at += 60
        return self.sink.alerts[before:] if self.sink is not None else []


def firing(alert: dict[str, Any], now: float) -> bool:
    """A firing alert ends in the future; a resolved one ended at or before ``now`` (wall clock)."""
    return alert["endsAt"] > timestamp(now)


def test_the_fifth_change_in_an_hour_flaps_then_quiet_until_stable(tmp_path: Path, sink: AlertSink) -> None:
    settings = flapping_config(tmp_path / "khp.db", [sink.url], changes=4, window="1h", stable="30m")
    clock = FakeClock()
    with AlertBridge(settings, clock=clock) as bridge:
        run = Run(bridge, sink)
        sent = []
        for present in (True, False, True, False):  # fired, resolved, fired, resolved: 4 changes
            sent.append(run.cycle(present))
            clock.now += 60
        assert [[a["annotations"].get("flapping") for a in s] for s in sent] == [[None]] * 4
        assert not bridge.flapping.flapping
        flapped = run.cycle(True)  # the fifth change: it flaps, sent firing with the annotation
        clock.now += 60
        assert len(flapped) == 1 and flapped[0]["annotations"]["flapping"].startswith("changed state more than 4")
        assert list(bridge.flapping.flapping) == [DISK.key]
        held = []
        for present in (False, True, False, False, True, False):  # comes and goes: held firing
            sent_now = run.cycle(present)
            assert all(firing(a, clock.now) for a in sent_now)  # every one firing ...
            held += sent_now
            clock.now += 60
        assert held, "a held alert is re-sent on its resend schedule"
        assert {a["startsAt"] for a in held} == {flapped[0]["startsAt"]}  # ... the same alert, never resolved
        assert all(a["annotations"]["flapping"] for a in held)
        for _ in range(29):  # gone for 29 minutes after the last going: still held
            assert all(firing(a, clock.now) for a in run.cycle(False))
            clock.now += 60
        assert bridge.flapping.flapping
        stable = run.cycle(False)  # 30 minutes without a change: stable, and gone, so resolved
        assert len(stable) == 1 and not firing(stable[0], clock.now)
        assert "flapping" not in stable[0]["annotations"]
        assert not bridge.flapping.flapping

    kinds = [(e.kind, e.detail) for e in run.events if e.kind in ("flapping", "stable")]
    assert kinds == [
        ("flapping", "held firing under one notification until stable"),
        ("stable", "stable: gone, resolved"),
    ]
    ledger = statistics(run.events, T0, run.at).ledger
    # 3 comings before the flapping one; 2 more while held (each held under the one notification)
    assert ledger.total.detected == 5 and ledger.total.not_notified["flapping"] == 2
    assert ledger.flapping_started == 1 and statistics(run.events, T0, run.at).unmatched == 0


def test_a_problem_that_is_there_when_stable_goes_on_firing_without_the_mark(tmp_path: Path, sink: AlertSink) -> None:
    settings = flapping_config(tmp_path / "khp.db", [sink.url], changes=2, window="1h", stable="10m")
    with AlertBridge(settings, clock=FakeClock()) as bridge:
        run = Run(bridge, sink)
        for present in (True, False, True):  # the third change flaps
            run.cycle(present)
        assert bridge.flapping.flapping
        for _ in range(10):
            run.cycle(True)
        assert not bridge.flapping.flapping
        last = run.cycle(True)
        assert last == [] or "flapping" not in last[-1]["annotations"]
        assert bridge.states[DISK.key].phase == "firing"
    assert [e.detail for e in run.events if e.kind == "stable"] == ["stable: still there, firing"]


def test_an_alert_that_does_not_flap_is_sent_as_without_flapping_detection(tmp_path: Path) -> None:
    pattern = [True, False, True, False, True, True, False, True, False, False, True]
    sent: dict[bool, list] = {}
    for enabled in (True, False):
        with AlertSink() as sink:
            settings = flapping_config(tmp_path / f"{enabled}.db", [sink.url], changes=20 if enabled else 0)
            with AlertBridge(settings, clock=FakeClock()) as bridge:
                run = Run(bridge, sink)
                sent[enabled] = [run.cycle(present) for present in pattern]
    assert sent[True] == sent[False]


def test_flapping_survives_a_restart(tmp_path: Path, sink: AlertSink) -> None:
    settings = flapping_config(tmp_path / "khp.db", [sink.url], changes=2, window="1h", stable="30m")
    with AlertBridge(settings, clock=FakeClock()) as bridge:
        run = Run(bridge, sink)
        for present in (True, False, True):
            run.cycle(present)
        assert bridge.flapping.flapping
        at = run.at
    with AlertBridge(settings, clock=FakeClock(T0 + 600)) as again:
        run = Run(again, sink)
        run.at = at
        assert list(again.flapping.flapping) == [DISK.key]
        sent = run.cycle(False)  # gone, but held: still firing, still marked
        assert again.states[DISK.key].phase == "firing"
        assert all("flapping" in a["annotations"] for a in sent)


def test_pure_hold_and_observe() -> None:
    flapping = Flapping(FlappingSettings(changes=1, window=600.0, stable=300.0))
    key = DISK.key
    flapping.observe(key, "fired", DISK, T0)
    flapping.observe(key, "resolved", None, T0 + 60)  # 2 changes, but only a firing starts flapping
    assert not flapping.flapping
    flapping.observe(key, "fired", DISK, T0 + 700)  # the first two are out of the window
    assert not flapping.flapping
    flapping.begin()
    flapping.observe(key, "fired", DISK, T0 + 710)
    assert flapping.flapping[key].since == T0 + 710 and flapping.cycle.started == [DISK]
    assert flapping.hold(key, None, kept=False, at=T0 + 770) == DISK  # gone: held
    assert flapping.cycle.gone == [DISK]
    assert flapping.hold(key, None, kept=True, at=T0 + 830) is None  # its monitor failed: not judged
    assert flapping.hold(key, None, kept=False, at=T0 + 1068) == DISK  # 298 s since it went
    assert flapping.hold(key, None, kept=False, at=T0 + 1070) is None  # stable: the state machine resolves it
    assert flapping.cycle.ended == [(DISK, False)]


def test_a_real_alertmanager_notifies_the_flapping_alert_once_then_nothing_until_it_is_stable(tmp_path: Path) -> None:
    with WebhookRecorder() as hook, running_alertmanager(tmp_path / "am", webhook_config(hook.url)) as am:
        settings = flapping_config(tmp_path / "khp.db", [am.url], changes=4, window="1h", stable="30m")
        with AlertBridge(settings) as bridge:
            run = Run(bridge)
            expected = 0
            for present in (True, False, True, False, True):  # four changes, then the flapping firing
                run.cycle(present)
                expected += 1
                hook.wait_for(expected)
            for present in (False, True, False, True, False, False):  # held: Alertmanager sees no change
                run.cycle(present)
            for _ in range(30):
                run.cycle(False)
            assert not bridge.flapping.flapping
            notifications = hook.wait_for(expected + 1)
    alerts = [n["alerts"] for n in notifications]
    assert [(a[0]["status"], "flapping" in a[0]["annotations"]) for a in alerts] == [
        ("firing", False),
        ("resolved", False),
        ("firing", False),
        ("resolved", False),
        ("firing", True),  # the one flapping notification
        ("resolved", False),  # stable and gone: nothing in between
    ]
