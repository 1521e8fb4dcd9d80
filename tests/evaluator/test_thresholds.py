"""``self.w`` / ``self.c``: per-cluster thresholds, null disables, unknown keys fail at load time."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from evaluator import Monitor, MonitorLoadError, ThresholdError, Thresholds, check_thresholds, threshold_keys
from evaluator.testing import ClusterSetup, build_config, metric, run_monitor
from khp.configuration import load_config

from .helpers import Probe

SLOTS = "druid/overlord/taskSlot.used.percent"
LIMITS = {"slots": {"warning": 80, "critical": 90}}


class SlotMonitor(Monitor):
    def run(self) -> None:
        used = self.max(SLOTS)
        self.emit("Slots", warning=used > self.w("slots"), critical=used > self.c("slots"))


def everywhere(value: float) -> list:  # type: ignore[type-arg]
    return [metric(SLOTS, value, cluster=c, host="o1") for c in ("alpha", "beta", "gamma", "delta")]


def found(problems: list) -> list[tuple[str, str, float]]:  # type: ignore[type-arg]
    return [(p.cluster, p.severity, p.threshold) for p in problems]


def test_each_cluster_is_compared_with_its_own_value_else_the_default() -> None:
    problems = run_monitor(
        SlotMonitor,
        everywhere(85),
        thresholds=LIMITS,
        clusters={
            "alpha": ClusterSetup(thresholds={"slots": {"warning": 90}}),  # 85 is below alpha's warning
            "beta": ClusterSetup(thresholds={"slots": {"critical": 84}}),  # beta goes critical at 85
            "gamma": ClusterSetup(),  # no override: defaults
        },
    )
    assert found(problems) == [
        ("beta", "critical", 84),
        ("beta", "warning", 80),
        ("delta", "warning", 80),
        ("gamma", "warning", 80),
    ]


def test_null_disables_the_check_for_that_cluster() -> None:
    problems = run_monitor(
        SlotMonitor,
        everywhere(95),
        thresholds=LIMITS,
        clusters={
            "alpha": ClusterSetup(thresholds={"slots": None}),  # slots: null
            "beta": ClusterSetup(thresholds={"slots": {"warning": None}}),  # slots: {warning: null}
        },
    )
    assert found(problems) == [
        ("beta", "critical", 90),
        ("delta", "critical", 90),
        ("delta", "warning", 80),
        ("gamma", "critical", 90),
        ("gamma", "warning", 80),
    ]


def test_a_null_default_disables_a_level_everywhere_but_where_a_cluster_sets_it() -> None:
    problems = run_monitor(
        SlotMonitor,
        everywhere(95),
        thresholds={"slots": {"warning": 80, "critical": None}},
        clusters={"alpha": ClusterSetup(thresholds={"slots": {"critical": 92}})},
    )
    assert [(c, s) for c, s, _t in found(problems)] == [
        ("alpha", "critical"),
        ("alpha", "warning"),
        ("beta", "warning"),
        ("delta", "warning"),
        ("gamma", "warning"),
    ]


def test_loaded_cluster_files_disable_with_null_too(tmp_path: Path) -> None:
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters/alpha.yml").write_text("thresholds: {slots: null}\n")
    (tmp_path / "clusters/beta.yml").write_text("thresholds: {slots: {warning: null}}\n")
    (tmp_path / "clusters/gamma.yml").write_text("thresholds: {slots: {warning: 70}}\n")
    (tmp_path / "khp.yml").write_text(
        "monitors: []\nthresholds: {slots: {warning: 80, critical: 90}}\nclusters_dir: clusters\n"
    )
    config = load_config(tmp_path / "khp.yml")
    problems = run_monitor(SlotMonitor, everywhere(85), config=config)
    assert found(problems) == [("delta", "warning", 80), ("gamma", "warning", 70)]


def test_thresholds_give_per_cluster_values_and_print_them(dsl: Callable[..., Probe]) -> None:
    monitor = dsl(
        thresholds=LIMITS,
        clusters={
            "alpha": ClusterSetup(thresholds={"slots": {"warning": 70}}),
            "beta": ClusterSetup(thresholds={"slots": None}),
        },
    )
    warning = monitor.w("slots")
    assert isinstance(warning, Thresholds)
    assert (warning.for_cluster("alpha"), warning.for_cluster("beta"), warning.for_cluster("zeta")) == (70, None, 80)
    assert monitor.c("slots").for_cluster("alpha") == 90
    assert warning.default == 80
    assert warning.overrides() == {"alpha": 70, "beta": None}
    assert repr(warning) == "w('slots'): {'default': 80, 'alpha': 70, 'beta': None}"
    assert repr(monitor.c("slots")) == "c('slots'): {'default': 90, 'beta': None}"


def test_an_unknown_key_at_run_time_names_the_monitor_and_key(dsl: Callable[..., Probe]) -> None:
    monitor = dsl(thresholds=LIMITS)
    with pytest.raises(ThresholdError) as caught:
        monitor.w("slotz")
    message = str(caught.value)
    assert "Probe" in message
    assert "'slotz'" in message
    assert "defined: slots" in message
    assert isinstance(caught.value, KeyError)


def test_a_threshold_key_must_be_a_string(dsl: Callable[..., Probe]) -> None:
    from evaluator import DslError

    with pytest.raises(DslError, match="a threshold key is a string"):
        dsl(thresholds=LIMITS).c(5)  # type: ignore[arg-type]


def test_threshold_keys_are_the_literal_keys_of_w_and_c() -> None:
    class Mixed(Monitor):
        def run(self) -> None:
            key = "dynamic"
            self.w("alpha_key")
            self.c("beta_key")
            self.c(":symbol_key")
            self.w(key)
            self.other("not_a_key")  # type: ignore[attr-defined]

    assert threshold_keys(Mixed) == {"alpha_key", "beta_key", "symbol_key"}


def test_check_thresholds_names_the_monitor_and_the_unknown_keys() -> None:
    config = build_config({"slots": {"warning": 1}})
    check_thresholds(SlotMonitor, config)

    class Typo(Monitor):
        def run(self) -> None:
            self.emit("x", warning=self.max(SLOTS) > self.w("slotz"), critical=self.max(SLOTS) > self.c("sluts"))

    with pytest.raises(MonitorLoadError) as caught:
        check_thresholds(Typo, config)
    message = str(caught.value)
    assert message.startswith("Typo (")
    assert "uses threshold 'slotz', 'sluts'" in message
    assert f"{Path(__file__)}:" in message
    assert "defined: slots" in message


def test_run_monitor_checks_thresholds_before_running() -> None:
    with pytest.raises(MonitorLoadError, match="'slots'"):
        run_monitor(SlotMonitor, everywhere(85))


def test_an_unknown_key_is_an_error_when_monitors_are_loaded(tmp_path: Path) -> None:
    from evaluator import discover_monitors

    (tmp_path / "mons").mkdir()
    (tmp_path / "mons/druid_slots.py").write_text(
        textwrap.dedent(
            """
        from evaluator import Monitor


        class DruidSlotProbeMonitor(Monitor):
            def run(self):
                used = self.max("druid/overlord/taskSlot.used.percent")
                self.emit("Slots", warning=used > self.w("druid_slot_used_percnt"))
        """
        )
    )
    (tmp_path / "khp.yml").write_text("monitors: [mons]\nthresholds: {druid_slot_used_percent: {warning: 80}}\n")
    config = load_config(tmp_path / "khp.yml")
    with pytest.raises(MonitorLoadError) as caught:
        discover_monitors(config)
    message = str(caught.value)
    assert "DruidSlotProbeMonitor" in message
    assert "'druid_slot_used_percnt'" in message
    assert str(tmp_path / "mons/druid_slots.py") in message
    assert str(tmp_path / "khp.yml") in message
