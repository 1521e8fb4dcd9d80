"""Finding monitors: the bundled directory plus configured ones, checked when they are loaded."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from evaluator import BUNDLED_DIR, Monitor, MonitorLoadError, discover_monitors, select, threshold_keys
from evaluator._discovery import monitors_in_directory
from evaluator.testing import build_config, metric, run_monitor
from khp.configuration import Config

MONITOR = '''
from evaluator import Monitor


class {name}(Monitor):
    """A monitor written for a test."""

    def run(self):
        self.emit("{name} check", warning=self.max("kudu/tserver/server.tablets_num_running") > 0)
'''


def write(directory: Path, file: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def config_for(*dirs: Path, thresholds: dict | None = None) -> Config:  # type: ignore[type-arg]
    return dataclasses.replace(build_config(thresholds), monitors=tuple(dirs))


def names(monitors: list[type[Monitor]]) -> list[str]:
    return [m.monitor_name() for m in monitors]


def test_monitors_are_found_in_every_configured_directory(tmp_path: Path) -> None:
    write(tmp_path / "one", "kudu_probe.py", MONITOR.format(name="KuduProbeMonitor"))
    write(tmp_path / "one", "notes.txt", "not python")
    write(tmp_path / "one", "_hidden.py", MONITOR.format(name="HiddenProbeMonitor"))
    write(
        tmp_path / "two",
        "zk_probe.py",
        MONITOR.format(name="ZkProbeMonitor")
        + textwrap.dedent(
            '''

        class AbstractProbe(Monitor):
            """No run(): a base for other monitors, not a monitor."""


        def helper():
            return 1
        '''
        ),
    )
    monitors = discover_monitors(config_for(tmp_path / "two", tmp_path / "one"))
    assert names(monitors) == ["KuduProbeMonitor", "ZkProbeMonitor"]
    assert all(issubclass(m, Monitor) for m in monitors)
    assert monitors[0].service_name() == "kudu_probe"


def test_a_discovered_monitor_runs(tmp_path: Path) -> None:
    write(tmp_path / "mons", "kudu_probe.py", MONITOR.format(name="KuduRunProbeMonitor"))
    (monitor,) = discover_monitors(config_for(tmp_path / "mons"))
    problems = run_monitor(monitor, [metric("kudu/tserver/server.tablets_num_running", 5, host="t1")])
    assert [(p.check, p.cluster, p.value) for p in problems] == [("KuduRunProbeMonitor check", "alpha", 5.0)]
    # Outside the project and khp.yml's directory, with no template of its own: the file and line.
    assert problems[0].source == f"{(tmp_path / 'mons' / 'kudu_probe.py').as_posix()}:9"


def test_the_bundled_directory_and_configured_ones_are_combined(tmp_path: Path) -> None:
    bundled = monitors_in_directory(BUNDLED_DIR)
    keys = set().union(*(threshold_keys(m) for m in bundled))
    write(tmp_path / "mons", "local_probe.py", MONITOR.format(name="LocalProbeMonitor"))
    config = config_for(BUNDLED_DIR, tmp_path / "mons", thresholds={k: {"warning": 1} for k in keys})
    monitors = discover_monitors(config)
    assert names(monitors) == sorted([*names(bundled), "LocalProbeMonitor"])
    assert all(
        m.__module__.startswith("evaluator.monitors.") for m in monitors if m.monitor_name() != "LocalProbeMonitor"
    )


def test_a_directory_named_twice_is_read_once(tmp_path: Path) -> None:
    write(tmp_path / "mons", "probe.py", MONITOR.format(name="OnceProbeMonitor"))
    monitors = discover_monitors(config_for(tmp_path / "mons", tmp_path / "mons" / ".." / "mons"))
    assert names(monitors) == ["OnceProbeMonitor"]
    assert discover_monitors(config_for(tmp_path / "mons")) == monitors  # loaded once, found again


def test_two_monitors_with_one_name_are_an_error_naming_both_files(tmp_path: Path) -> None:
    first = write(tmp_path / "one", "kudu.py", MONITOR.format(name="TwinProbeMonitor"))
    second = write(tmp_path / "two", "kudu_again.py", MONITOR.format(name="TwinProbeMonitor"))
    with pytest.raises(MonitorLoadError) as caught:
        discover_monitors(config_for(tmp_path / "one", tmp_path / "two"))
    message = str(caught.value)
    assert message.startswith("two monitors are named TwinProbeMonitor: ")
    assert str(first) in message
    assert str(second) in message
    assert message.endswith("rename one")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("def run(self)\n    pass\n", "SyntaxError"),
        ("import no_such_module_for_khp_tests\n", "ModuleNotFoundError"),
        ("raise RuntimeError('broken at import')\n", "broken at import"),
    ],
)
def test_a_module_that_cannot_be_imported_is_named(tmp_path: Path, text: str, fragment: str) -> None:
    write(tmp_path / "mons", "good.py", MONITOR.format(name="GoodProbeMonitor"))
    bad = write(tmp_path / "mons", "broken.py", text)
    with pytest.raises(MonitorLoadError) as caught:
        discover_monitors(config_for(tmp_path / "mons"))
    assert str(caught.value).startswith(f"cannot import monitor module {bad}: ")
    assert fragment in str(caught.value)


def test_a_monitor_module_may_import_its_private_helpers(tmp_path: Path) -> None:
    write(tmp_path / "mons", "_shared.py", "PATH = 'kudu/tserver/server.tablets_num_running'\n")
    write(
        tmp_path / "mons",
        "helped.py",
        """
        from evaluator import Monitor

        from ._shared import PATH


        class HelpedProbeMonitor(Monitor):
            def run(self):
                self.emit("Helped", warning=self.max(PATH) > 0)
        """,
    )
    (monitor,) = discover_monitors(config_for(tmp_path / "mons"))
    assert monitor.monitor_name() == "HelpedProbeMonitor"


class KuduMonitor(Monitor):
    def run(self) -> None:
        pass


class KuduTabletsMonitor(Monitor):
    def run(self) -> None:
        pass


class DruidMonitor(Monitor):
    def run(self) -> None:
        pass


ALL = [DruidMonitor, KuduMonitor, KuduTabletsMonitor]


def test_select_by_class_name_in_any_case() -> None:
    assert select(ALL, ["KuduMonitor"]) == [KuduMonitor]
    assert select(ALL, ["kudutabletsmonitor", "DRUIDMONITOR"]) == [KuduTabletsMonitor, DruidMonitor]
    assert select(ALL, []) == []


def test_select_by_module_name_takes_its_monitors_once() -> None:
    assert select(ALL, ["test_discovery"]) == ALL
    assert select(ALL, ["KuduMonitor", "test_discovery"]) == [KuduMonitor, DruidMonitor, KuduTabletsMonitor]


def test_select_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(MonitorLoadError) as caught:
        select(ALL, ["kudu"])
    assert str(caught.value) == "no monitor named 'kudu'; known: DruidMonitor, KuduMonitor, KuduTabletsMonitor"
