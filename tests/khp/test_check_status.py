"""``khp check``'s exit statuses, its JSON that stays JSON, and monitors that fail without stopping the others."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .helpers import SLOT_ROWS, khp

AT = "2026-11-29T10:00:00Z"

NOISY = '''
from evaluator import Monitor


class NoisyMonitor(Monitor):
    """Prints while it works, as rule authors do when they debug."""

    def run(self):
        print("debugging: looking at task slots")
        self.emit("Noisy", warning=self.max("druid/overlord/taskSlot.used.count") > 100000)
'''

FAILING = """
from evaluator import Monitor


class FailingMonitor(Monitor):
    def run(self):
        total = self.max("druid/overlord/taskSlot.total.count")
        raise RuntimeError("cannot make sense of " + total.label)
"""


def load(project: Path) -> None:
    (project / "rows.jsonl").write_text(SLOT_ROWS + "\n")
    assert khp(project, "load", "metrics", "rows.jsonl").returncode == 0


def add(project: Path, name: str, text: str) -> None:
    (project / "monitors" / name).write_text(textwrap.dedent(text))


def test_no_problems_exits_0(project: Path) -> None:
    load(project)
    result = khp(project, "check", "--at", "2026-11-29T12:00:00Z")
    assert (result.returncode, result.stdout) == (0, "")
    assert result.stderr.startswith("0 problems (0 critical, 0 warning) from 1 monitor at 2026-11-29T12:00:00Z")


def test_problems_found_exit_1(project: Path) -> None:
    load(project)
    result = khp(project, "check", "--at", AT, "--cluster", "alpha")
    assert result.returncode == 1
    assert result.stderr.startswith("1 problem (0 critical, 1 warning) from 1 monitor at ")
    assert "; 2 queries (0 shared)" in result.stderr


def test_a_usage_or_configuration_error_exits_2_before_anything_runs(project: Path) -> None:
    load(project)
    assert khp(project, "check", "--at", "yesterday").returncode == 2
    assert khp(project, "check", "--monitor", "NoSuch").returncode == 2
    (project / "clusters" / "beta.yml").write_text("pending: soon\n")
    result = khp(project, "check", "--at", AT)
    assert result.returncode == 2
    assert result.stderr == f"khp check: {project / 'clusters' / 'beta.yml'}: pending: 'soon' is not a duration;" + (
        " write it like '30s', '10m', '1h30m', '2d' or ISO-8601 'PT10M', 'P1D'\n"
    )


def test_a_failed_monitor_exits_3_even_with_problems_and_the_others_report(project: Path) -> None:
    load(project)
    add(project, "failing.py", FAILING)
    result = khp(project, "check", "--at", AT, "--json")
    assert result.returncode == 3
    problems = json.loads(result.stdout)
    assert [(p["check"], p["monitor"], p["cluster"]) for p in problems] == [
        ("Monitor failed", "FailingMonitor", None),
        ("Task slot usage", "SlotMonitor", "alpha"),
        ("Task slot usage", "SlotMonitor", "beta"),
    ]
    failure = problems[0]
    assert failure["description"] == (
        "RuntimeError: cannot make sense of max('druid/overlord/taskSlot.total.count') (at failing.py:8)"
    )
    assert failure["source"] == "monitors/failing.py#L8"
    assert "Traceback" not in result.stderr
    assert "failed: FailingMonitor" in result.stderr


def test_verbose_prints_the_traceback_of_each_failed_monitor(project: Path) -> None:
    load(project)
    add(project, "failing.py", FAILING)
    result = khp(project, "check", "--at", AT, "--verbose")
    assert result.returncode == 3
    assert "FailingMonitor failed: RuntimeError: cannot make sense of" in result.stderr
    assert "Traceback (most recent call last):" in result.stderr
    assert 'failing.py", line 8, in run' in result.stderr


def test_a_source_that_fails_exits_3(project: Path) -> None:
    load(project)
    config = project / "khp.yml"
    config.write_text(
        config.read_text() + "sources: {logs: {type: elasticsearch, url: 'http://127.0.0.1:9', timeout: 1s}}\n"
    )
    add(
        project,
        "logs.py",
        """
        from evaluator import Monitor


        class LogMonitor(Monitor):
            def run(self):
                self.emit("Errors", warning=self.log_count("hdfs/namenode/ERROR*") > 0)
        """,
    )
    result = khp(project, "check", "--at", AT, "--json")
    assert result.returncode == 3, result.stderr
    checks = [(p["check"], p["monitor"], p["severity"]) for p in json.loads(result.stdout)]
    assert ("Source unavailable", "LogMonitor", "critical") in checks
    assert ("Task slot usage", "SlotMonitor", "warning") in checks


def test_what_a_monitor_prints_goes_to_stderr_and_json_stays_json(project: Path) -> None:
    load(project)
    add(project, "noisy.py", NOISY)
    result = khp(project, "check", "--at", AT, "--json")
    assert result.returncode == 1
    assert len(json.loads(result.stdout)) == 2
    assert "debugging: looking at task slots" in result.stderr


def test_a_monitor_that_cannot_load_does_not_stop_khp_run(project: Path) -> None:
    load(project)
    add(project, "broken.py", "from evaluator import Monitor\n\nclass BrokenMonitor(Monitor):\n    def run(self)\n")
    add(project, "failing.py", FAILING)
    result = khp(project, "run", "--cycles", "2")
    assert result.returncode == 0, result.stderr
    assert "+ CRITICAL -" in result.stdout and "Monitor failed: " in result.stdout
    assert "BrokenMonitor" not in result.stdout  # the monitor label is not printed; its reason is
    assert "SyntaxError" in result.stdout
    # The log carries each failure's traceback once, not every cycle.
    assert result.stderr.count("FailingMonitor failed: RuntimeError") == 1
    assert result.stderr.count("BrokenMonitor failed: ") == 1
    assert result.stderr.count("failed: BrokenMonitor, FailingMonitor") == 2
    records = json.loads(khp(project, "cycles", "--json").stdout)
    assert records[-1]["monitors"]["SlotMonitor"]["status"] == "ok"
    assert records[-1]["monitors"]["BrokenMonitor"]["status"] == "failed"


def test_help_documents_the_exit_statuses(project: Path) -> None:
    text = khp(project, "check", "--help").stdout
    assert "exit status:\n  0  no problems\n  1  problems found" in text
    assert "  2  usage or configuration error" in text
    assert "  3  a monitor failed, timed out or could not be loaded, or a source was unavailable" in text
