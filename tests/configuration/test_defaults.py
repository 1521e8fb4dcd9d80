"""Threshold defaults carried by monitors (``thresholds = {...}``), and khp.yml's levels on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from khp.configuration import ConfigError, Threshold, load_config
from khp.configuration._defaults import monitor_defaults, parse_defaults

MONITOR = '''
from evaluator import Monitor


class SlotMonitor(Monitor):
    """Task slots."""

    thresholds = {
        "slot_used_percent": {"warning": 80, "critical": 90, "meaning": "task slots used, percent"},
        "slot_pending": {"warning": 10, "critical": None},
    }

    def run(self):
        pass
'''


def project(tmp_path: Path, khp_yml: str, monitor: str = MONITOR, clusters: dict[str, str] | None = None) -> Path:
    (tmp_path / "monitors").mkdir(exist_ok=True)
    (tmp_path / "monitors" / "slots.py").write_text(monitor)
    (tmp_path / "clusters").mkdir(exist_ok=True)
    for name, text in (clusters or {}).items():
        (tmp_path / "clusters" / name).write_text(text)
    config = tmp_path / "khp.yml"
    config.write_text("monitors: [monitors]\nclusters_dir: clusters\n" + khp_yml)
    return config


def test_a_monitors_defaults_apply_when_khp_yml_names_nothing(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, ""))
    assert config.thresholds["slot_used_percent"] == Threshold(80, 90, "task slots used, percent")
    assert config.thresholds["slot_pending"] == Threshold(10, None)


def test_khp_yml_changes_only_the_levels_it_names(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, "thresholds: {slot_used_percent: {warning: 70}, slot_pending: null}"))
    assert config.thresholds["slot_used_percent"].levels() == {"warning": 70, "critical": 90}
    assert config.thresholds["slot_used_percent"].meaning == "task slots used, percent"
    assert config.thresholds["slot_pending"].levels() == {"warning": None, "critical": None}


def test_khp_yml_may_add_keys_for_monitors_that_declare_none(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, "thresholds: {legacy_key: {warning: 1}}"))
    assert config.thresholds["legacy_key"] == Threshold(1, None)


def test_bundled_and_own_monitors_together_inherit_the_bundled_defaults(tmp_path: Path) -> None:
    config_file = project(tmp_path, "")
    config_file.write_text(config_file.read_text().replace("monitors: [monitors]", "monitors: [bundled, monitors]"))
    config = load_config(config_file)
    assert config.thresholds["druid_slot_used_percent"].levels() == {"warning": 80, "critical": 90}
    assert config.thresholds["slot_pending"].warning == 10


def test_cluster_files_are_checked_against_the_declared_keys(tmp_path: Path) -> None:
    ok = load_config(project(tmp_path, "", clusters={"alpha.yml": "thresholds: {slot_pending: {warning: 3}}"}))
    assert ok.threshold("slot_pending", "alpha", "warning") == 3
    assert ok.threshold("slot_used_percent", "alpha", "critical") == 90
    with pytest.raises(ConfigError) as caught:
        load_config(project(tmp_path, "", clusters={"alpha.yml": "thresholds: {slot_pendin: {warning: 3}}"}))
    assert caught.value.key == "thresholds.slot_pendin"
    assert caught.value.file.endswith("alpha.yml")
    assert "slot_pending, slot_used_percent" in str(caught.value)


def test_a_monitor_file_that_is_not_python_lends_no_keys_but_stops_nothing(tmp_path: Path) -> None:
    config_file = project(tmp_path, "", clusters={"alpha.yml": "thresholds: {broken_key: {warning: 1}}"})
    (tmp_path / "monitors" / "broken.py").write_text("class Broken(Monitor:\n")
    config = load_config(config_file)  # the evaluator reports broken.py; its cluster overrides stay
    assert "broken_key" in config.clusters["alpha"].thresholds
    assert monitor_defaults([tmp_path / "monitors"]).unreadable == (str(tmp_path / "monitors" / "broken.py"),)


def test_a_computed_declaration_lends_no_keys_and_says_why_with_file_and_line(tmp_path: Path) -> None:
    computed = MONITOR.replace('"warning": 80', '"warning": 8 * 10')
    config = load_config(project(tmp_path, "", monitor=computed))  # the evaluator reports SlotMonitor as failed
    assert "slot_used_percent" not in config.thresholds
    file = str(tmp_path / "monitors" / "slots.py")
    found = monitor_defaults([tmp_path / "monitors"])
    assert found.unreadable == (file,)
    assert found.reasons[file].startswith(f"{file}:8: SlotMonitor.thresholds: must be a literal dict")


def test_two_monitors_must_agree_on_a_shared_key(tmp_path: Path) -> None:
    config_file = project(tmp_path, "")
    other = MONITOR.replace("SlotMonitor", "OtherMonitor").replace('"warning": 80', '"warning": 85')
    (tmp_path / "monitors" / "other.py").write_text(other)
    found = monitor_defaults([tmp_path / "monitors"])
    file = str(tmp_path / "monitors" / "slots.py")  # other.py comes first and wins; slots.py disagrees
    assert found.unreadable == (file,)
    assert "declares other defaults" in found.reasons[file]
    assert found.reasons[file].startswith(
        f"{file}:8: thresholds['slot_used_percent']: {tmp_path / 'monitors' / 'other.py'}:8"
    )
    assert load_config(config_file).thresholds["slot_used_percent"].warning == 85
    same = MONITOR.replace("SlotMonitor", "SameMonitor")
    (tmp_path / "monitors" / "other.py").write_text(same)
    assert load_config(config_file).thresholds["slot_used_percent"].warning == 80
    assert monitor_defaults([tmp_path / "monitors"]).reasons == {}


@pytest.mark.parametrize(
    ("value", "key", "problem"),
    [
        ([1, 2], "thresholds", "expected a dict"),
        ({"bad key": {}}, "thresholds['bad key']", "letters, digits and _"),
        ({"k": 5}, "thresholds['k']", "expected {"),
        ({"k": {"warn": 1}}, "thresholds['k']", "unknown key 'warn'"),
        ({"k": {"warning": "high"}}, "thresholds['k']['warning']", "expected a number or None"),
        ({"k": {"warning": True}}, "thresholds['k']['warning']", "expected a number or None"),
        ({"k": {"meaning": 5}}, "thresholds['k']['meaning']", "expected a string"),
    ],
)
def test_bad_declarations_name_the_key(value: object, key: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_defaults(value, "m.py:3")
    assert (caught.value.file, caught.value.key) == ("m.py:3", key)
    assert problem in caught.value.problem
