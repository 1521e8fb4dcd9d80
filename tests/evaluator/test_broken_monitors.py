"""A bad monitor never stops the others: one that cannot load fails every cycle, naming its file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from evaluator import (
    MONITOR_FAILED,
    Evaluator,
    Monitor,
    MonitorLoadError,
    discover_monitors,
    is_broken,
    load_error,
    load_monitors,
    select,
)
from evaluator.testing import build_config, metric, monitor_from
from khp.configuration import Config, load_config
from khp.sources import EmbeddedLogs, EmbeddedMetrics, EmbeddedProcesses, Sources
from khp.store import Store

from .helpers import AT, write_rows

GOOD = '''
from evaluator import Monitor


class GoodMonitor(Monitor):
    """Reports every host with disk data."""

    def run(self):
        self.emit("Disk", warning=self.all("hdfs/datanode/disk.used_percent") > 0)
'''


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def project(tmp_path: Path, **files: str) -> Config:
    """A khp.yml whose monitors directory holds GoodMonitor and ``files``."""
    write(tmp_path / "mons", "good.py", GOOD)
    for name, text in files.items():
        write(tmp_path / "mons", name, text)
    (tmp_path / "khp.yml").write_text("monitors: [mons]\nthresholds: {disk_key: {warning: 1}}\n")
    return load_config(tmp_path / "khp.yml")


def cycle(config: Config, store: Store, monitors: list[type[Monitor]]) -> list[tuple[str, str, str, str | None]]:
    write_rows(store, [metric("hdfs/datanode/disk.used_percent", 50, host="dn1")])
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(config, sources, monitors) as evaluator:
        result = evaluator.cycle(at=AT)
    return [(p.check, p.monitor, p.severity, p.cluster) for p in result.problems]


def failure(config: Config, store: Store, monitors: list[type[Monitor]], name: str) -> tuple[str, str]:
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(config, sources, monitors) as evaluator:
        result = evaluator.cycle(at=AT)
    (problem,) = [p for p in result.problems if p.monitor == name]
    assert problem.check == MONITOR_FAILED
    assert name in result.failed_monitors
    return problem.description, problem.source


def test_a_module_that_does_not_import_stands_in_for_each_class_it_defines(tmp_path: Path, store: Store) -> None:
    bad = """
    from evaluator import Monitor
    import no_such_module_for_khp


    class FirstMonitor(Monitor):
        def run(self):
            pass


    class SecondMonitor(Monitor):
        def run(self):
            pass
    """
    config = project(tmp_path, **{"bad.py": bad})
    monitors = load_monitors(config)
    assert [(m.monitor_name(), is_broken(m)) for m in monitors] == [
        ("FirstMonitor", True),
        ("GoodMonitor", False),
        ("SecondMonitor", True),
    ]
    assert cycle(config, store, monitors) == [
        (MONITOR_FAILED, "FirstMonitor", "critical", None),
        (MONITOR_FAILED, "SecondMonitor", "critical", None),
        ("Disk", "GoodMonitor", "warning", "alpha"),
    ]
    description, source = failure(config, store, monitors, "FirstMonitor")
    assert description == (
        f"cannot import monitor module {tmp_path / 'mons' / 'bad.py'}: ModuleNotFoundError:"
        " No module named 'no_such_module_for_khp' (line 3)"
    )
    assert source == "mons/bad.py#L3"  # the line that raised, relative to khp.yml


def test_a_syntax_error_names_its_line_and_the_classes_it_would_have_defined(tmp_path: Path, store: Store) -> None:
    config = project(
        tmp_path, **{"typo.py": "from evaluator import Monitor\n\nclass TypoMonitor(Monitor):\n    def run(self)\n"}
    )
    monitors = load_monitors(config)
    assert [m.monitor_name() for m in monitors if is_broken(m)] == ["TypoMonitor"]
    description, source = failure(config, store, monitors, "TypoMonitor")
    assert "SyntaxError" in description and "(line 4)" in description
    assert source == "mons/typo.py#L4"


def test_a_file_with_no_class_to_name_stands_in_by_its_file_name(tmp_path: Path, store: Store) -> None:
    config = project(tmp_path, **{"junk.py": "raise RuntimeError('broken at import')\n"})
    monitors = load_monitors(config)
    (junk,) = [m for m in monitors if is_broken(m)]
    assert junk.monitor_name() == "junk"
    assert select(monitors, ["junk"]) == [junk]
    description, _source = failure(config, store, monitors, "junk")
    assert description.endswith("RuntimeError: broken at import (line 1)")


def test_an_unknown_threshold_key_fails_that_monitor_at_the_line_using_it(tmp_path: Path, store: Store) -> None:
    typo = """
    from evaluator import Monitor


    class KeyTypoMonitor(Monitor):
        def run(self):
            used = self.all("hdfs/datanode/disk.used_percent")
            self.emit("Disk typo", warning=used > self.w("disk_kye"))
    """
    config = project(tmp_path, **{"keytypo.py": typo})
    monitors = load_monitors(config)
    assert [m.monitor_name() for m in monitors if is_broken(m)] == ["KeyTypoMonitor"]
    description, source = failure(config, store, monitors, "KeyTypoMonitor")
    assert "uses threshold 'disk_kye'" in description
    assert "did you mean 'disk_key'?" in description
    assert source == "mons/keytypo.py#L8"
    with pytest.raises(MonitorLoadError, match="disk_kye"):
        discover_monitors(config)  # the strict form still refuses


def test_a_bad_thresholds_declaration_fails_only_its_monitor(tmp_path: Path, store: Store) -> None:
    computed = """
    from evaluator import Monitor


    class ComputedMonitor(Monitor):
        thresholds = {"computed_key": {"warning": 8 * 10}}

        def run(self):
            pass
    """
    config = project(tmp_path, **{"computed.py": computed})
    monitors = load_monitors(config)
    (broken,) = [m for m in monitors if is_broken(m)]
    error = load_error(broken)
    assert error is not None
    assert error.where == (str(tmp_path / "mons" / "computed.py"), 6)
    assert "ComputedMonitor.thresholds: must be a literal dict" in str(error)
    assert ("Disk", "GoodMonitor", "warning", "alpha") in cycle(config, store, monitors)


def test_two_monitors_of_one_name_keep_the_first_and_fail_the_second(tmp_path: Path, store: Store) -> None:
    config = project(tmp_path, **{"zz_again.py": GOOD})
    monitors = load_monitors(config)
    assert [(m.monitor_name(), is_broken(m)) for m in monitors] == [
        ("GoodMonitor", False),
        ("GoodMonitor in zz_again.py", True),
    ]
    description, _source = failure(config, store, monitors, "GoodMonitor in zz_again.py")
    assert description.startswith("two monitors are named GoodMonitor: in ")
    assert description.endswith("rename one")


HELPED = """
from evaluator import Monitor

from ._helpers import ratio


class HelpedMonitor(Monitor):
    def run(self):
        used = self.all("hdfs/datanode/disk.used_percent")
        self.emit("Ratio", warning=ratio(used) > 1)
"""


def test_a_runtime_error_names_the_line_that_raised_even_in_a_helper(tmp_path: Path, store: Store) -> None:
    write(tmp_path / "mons", "_helpers.py", "def ratio(vector):\n    return vector * (1 / 0)\n")
    config = project(tmp_path, **{"helped.py": HELPED})
    monitors = load_monitors(config)
    description, source = failure(config, store, monitors, "HelpedMonitor")
    assert description == "ZeroDivisionError: division by zero (at _helpers.py:2)"
    assert source == "mons/_helpers.py#L2"


def test_the_cycle_record_keeps_the_traceback_for_verbose_output(tmp_path: Path, store: Store) -> None:
    write(tmp_path / "mons", "_helpers.py", "def ratio(vector):\n    return vector * (1 / 0)\n")
    config = project(tmp_path, **{"helped.py": HELPED})
    sources = Sources(EmbeddedMetrics(store), EmbeddedLogs(store), EmbeddedProcesses(store))
    with Evaluator(config, sources, load_monitors(config)) as evaluator:
        record = evaluator.cycle(at=AT).record.monitors["HelpedMonitor"]
    assert record.traceback.startswith("Traceback (most recent call last):")
    assert 'helped.py", line 10, in run' in record.traceback
    assert record.traceback.rstrip().endswith("ZeroDivisionError: division by zero")
    assert "traceback" not in record.as_dict()  # the cycle log stays small


def test_an_emit_found_wrong_after_run_returned_names_the_emit_line(store: Store) -> None:
    class Uncompared(Monitor):
        def run(self) -> None:
            self.emit("Raw", warning=self.all("hdfs/datanode/disk.used_percent"))

    write_rows(store, [metric("hdfs/datanode/disk.used_percent", 50, host="dn1")])
    description, source = failure(build_config(), store, [Uncompared], "Uncompared")
    line = Uncompared.run.__code__.co_firstlineno + 1
    assert description.startswith(f"DslError: emit('Raw') at line {line}: warning= got all(")
    assert source == f"tests/evaluator/test_broken_monitors.py#L{line}"


def test_monitor_from_loads_a_monitor_by_its_file_relative_to_the_test(tmp_path: Path) -> None:
    write(tmp_path / "mons", "good.py", GOOD)
    monitor = monitor_from(tmp_path / "mons" / "good.py")
    assert monitor.monitor_name() == "GoodMonitor"
    assert monitor_from(tmp_path / "mons" / "good.py", "GoodMonitor") is monitor
    with pytest.raises(MonitorLoadError, match="does not define a monitor named 'Other'; it defines: GoodMonitor"):
        monitor_from(tmp_path / "mons" / "good.py", "Other")
    with pytest.raises(MonitorLoadError, match="no such monitor file"):
        monitor_from(
            "no/such/file.py"
        )  # relative to this file; tests/evaluator/test_testing_outside.py runs it for real
