"""Linting monitor files: load, read and run each once, every finding at a file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from evaluator import BUNDLED_DIR, Finding, lint
from evaluator._discovery import monitor_files
from evaluator._lint import read_source
from evaluator.testing import build_config
from khp.configuration import load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_the_bundled_monitors_are_clean() -> None:
    config = load_config(Path(__file__).resolve().parents[2] / "khp.yml")
    result = lint(monitor_files(BUNDLED_DIR), config)
    assert result.findings == ()
    assert len(result.monitors) == len(monitor_files(BUNDLED_DIR))


def test_reading_finds_a_check_emitted_twice_and_queries_emitted_uncompared(tmp_path: Path) -> None:
    file = write(
        tmp_path / "disk.py",
        """
        from evaluator import Monitor


        class DiskMonitor(Monitor):
            def run(self):
                used = self.all("host/os/disk.used_percent")
                scaled = used * 100 / self.max("host/os/disk.size")
                self.emit("Disk", warning=used > self.w("disk"))
                self.emit("Disk", critical=used > self.c("disk"))
                self.emit("Raw", warning=used)
                self.emit("Scaled", used > 1, scaled)
                self.emit("Direct", critical=-self.max("a/b/c"))
                filtered = _keep(used)
                self.emit("Unknown helper", warning=filtered)
                again = used
                again = used > 3
                self.emit("Reassigned", warning=again)
        """,
    )
    assert read_source(file) == [
        Finding(
            str(file), 10, "DiskMonitor: check 'Disk' is already emitted at line 9; give each emit its own check name"
        ),
        Finding(
            str(file),
            11,
            "DiskMonitor: emit('Raw') warning= is a query that is never compared, so every element would be a problem;"
            " compare it, e.g. warning=value > self.w('key')",
        ),
        Finding(
            str(file),
            12,
            "DiskMonitor: emit('Scaled') critical= is a query that is never compared, so every element would be a"
            " problem; compare it, e.g. critical=value > self.c('key')",
        ),
        Finding(
            str(file),
            13,
            "DiskMonitor: emit('Direct') critical= is a query that is never compared, so every element would be a"
            " problem; compare it, e.g. critical=value > self.c('key')",
        ),
    ]  # a helper's result and a name assigned twice may hold a comparison: not reported


def test_lint_loads_reads_and_runs_each_file(tmp_path: Path) -> None:
    monitors = tmp_path / "monitors"
    write(
        monitors / "ok.py",
        "from evaluator import Monitor\n\n\nclass OkMonitor(Monitor):\n    def run(self):\n        pass\n",
    )
    broken = write(monitors / "broken.py", "from evaluator import Monitor\nimport nosuchmodule_for_lint\n")
    typo = write(
        monitors / "typo.py",
        """
        from evaluator import Monitor


        class TypoMonitor(Monitor):
            def run(self):
                self.alll("x/y/z")
        """,
    )
    path = write(
        monitors / "path.py",
        """
        from evaluator import Monitor


        class PathMonitor(Monitor):
            def run(self):
                self.emit("Bad path", warning=self.all("disk.used_percent") > 1)
        """,
    )
    result = lint(monitor_files(monitors), build_config())
    assert [(f.file, f.line) for f in result.findings] == [
        (str(broken), 2),
        (str(path), 7),
        (str(typo), 7),
    ]
    assert result.findings[0].message.startswith(f"cannot import monitor module {broken}: ModuleNotFoundError")
    assert result.findings[1].message.startswith("PathMonitor fails on no data: DslError: 'disk.used_percent' is not")
    assert result.findings[2].message == (
        "TypoMonitor fails on no data: AttributeError: 'TypoMonitor' object has no attribute 'alll'"
    )
    assert str(result.findings[2]) == f"{typo}:7: {result.findings[2].message}"
    assert [f for f in lint(monitor_files(monitors), build_config(), run=False).findings if f.file != str(broken)] == []
