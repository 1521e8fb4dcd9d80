"""The ``khp`` command as a user runs it: a real subprocess on a real store."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from khp.store import CycleLog

from .helpers import KHP, SLOT_ROWS, khp

AT = "2026-11-29T10:00:00Z"


def loaded(project: Path) -> Path:
    rows = project / "rows.jsonl"
    rows.write_text(SLOT_ROWS + "\n")
    result = khp(project, "load", "metrics", str(rows))
    assert result.returncode == 0, result.stderr
    assert "loaded 6 metrics records" in result.stdout
    return rows


def test_check_prints_problems_as_json_with_the_contract_fields(project: Path) -> None:
    loaded(project)
    result = khp(project, "check", "--at", AT, "--json")
    assert result.returncode == 1, result.stderr  # problems found
    problems = json.loads(result.stdout)
    assert [(p["cluster"], p["severity"]) for p in problems] == [("alpha", "warning"), ("beta", "warning")]
    alpha = problems[0]
    assert set(alpha) == {
        "check",
        "monitor",
        "cluster",
        "host",
        "severity",
        "value",
        "compare",
        "threshold",
        "description",
        "source",
    }
    assert alpha["check"] == "Task slot usage"
    assert alpha["monitor"] == "SlotMonitor"
    assert alpha["host"] is None
    assert round(alpha["value"], 3) == 49.300
    assert (alpha["compare"], alpha["threshold"]) == (">", 45)
    assert problems[1]["threshold"] == 40  # beta's own value from its cluster file
    assert alpha["source"] == "monitors/slots.py#L11"  # the line of the emit call
    assert "2 problems (0 critical, 2 warning)" in result.stderr


def test_check_scopes_by_cluster_and_monitor_and_time(project: Path) -> None:
    loaded(project)
    only_beta = json.loads(khp(project, "check", "--at", AT, "--json", "--cluster", "beta").stdout)
    assert [p["cluster"] for p in only_beta] == ["beta"]
    hour_later = json.loads(khp(project, "check", "--at", "2026-11-29T11:00:00Z", "--json").stdout)
    # the rows are out of the 10-minute window then; the feed the first check saw has been silent an hour
    assert [(p["check"], p["monitor"], p["cluster"]) for p in hour_later] == [("Data stale", "metrics feed", "beta")]
    unknown = khp(project, "check", "--monitor", "NoSuchMonitor")
    assert unknown.returncode == 2
    assert "no monitor named 'NoSuchMonitor'; known: SlotMonitor" in unknown.stderr


def test_text_output_has_one_line_per_problem(project: Path) -> None:
    loaded(project)
    result = khp(project, "check", "--at", AT)
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("WARNING") and "alpha" in lines[0] and "Task slot usage" in lines[0]


def test_a_bad_line_is_reported_with_its_number_and_nothing_is_loaded(project: Path) -> None:
    bad = project / "bad.jsonl"
    lines = SLOT_ROWS.splitlines()
    lines.insert(3, '{"time": "yesterday", "cluster": "alpha"}')
    bad.write_text("\n".join(lines) + "\n")
    result = khp(project, "load", "metrics", str(bad))
    assert result.returncode == 2
    assert f"{bad}:4:" in result.stderr
    assert "nothing from" in result.stderr
    assert json.loads(khp(project, "check", "--at", AT, "--json").stdout) == []


def test_a_config_error_names_file_and_key(project: Path) -> None:
    (project / "clusters" / "beta.yml").write_text("thresholds: {druid_slot_used_percent: {warnin: 40}}\n")
    result = khp(project, "check")
    assert result.returncode == 2
    assert "beta.yml: thresholds.druid_slot_used_percent.warnin: unknown key" in result.stderr


def test_an_unknown_threshold_in_a_monitor_fails_that_monitor_naming_it_and_the_key(project: Path) -> None:
    loaded(project)
    source = project / "monitors" / "slots.py"
    source.write_text(source.read_text().replace('self.c("druid_slot_used_percent")', 'self.c("druid_slots")'))
    result = khp(project, "check", "--at", AT, "--json")
    assert result.returncode == 3, result.stderr  # the result is incomplete
    (failure,) = json.loads(result.stdout)
    assert (failure["check"], failure["monitor"], failure["severity"]) == ("Monitor failed", "SlotMonitor", "critical")
    assert "uses threshold 'druid_slots'" in failure["description"]
    assert failure["source"] == "monitors/slots.py#L13"  # the line using the key
    assert "failed: SlotMonitor" in result.stderr


def test_run_loops_and_prints_transitions_then_cycles_shows_the_records(project: Path) -> None:
    loaded(project)
    result = khp(project, "run", "--cycles", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # the rows are old: as of now there is nothing to report
    assert result.stderr.count("0 problems (") == 2
    records = json.loads(khp(project, "cycles", "--json").stdout)
    assert len(records) == 2
    assert records[-1]["monitors"]["SlotMonitor"]["status"] == "ok"
    assert records[-1]["queries"]["executed"] == 2


def test_repl_prints_vectors_as_the_seed_shows_them(project: Path) -> None:
    loaded(project)
    session = "\n".join(
        [
            "max('druid/overlord/taskSlot.used.count')",
            "used = max('druid/overlord/taskSlot.used.count') / max('druid/overlord/taskSlot.total.count') * 100",
            "used > 45",
            "used > w('druid_slot_used_percent')",
            "w('druid_slot_used_percent')",
            "all('druid/overlord/taskSlot.used.count')",
        ]
    )
    result = khp(project, "repl", "--at", AT, stdin=session + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert out[0] == (
        "[{'cluster': 'alpha', 'value': 599.0}, {'cluster': 'beta', 'value': 512.0},"
        " {'cluster': 'gamma', 'value': 1.0}]"
    )
    assert out[1].startswith("[{'cluster': 'alpha', 'value': 49.3") and out[1].endswith(
        "'compare': '>', 'threshold': 45}]"
    )
    assert "'threshold': 40" in out[2] and "'cluster': 'beta'" in out[2]
    assert out[3] == "w('druid_slot_used_percent'): {'default': 45, 'beta': 40}"
    assert "'host': 'o1'" in out[4]


def test_repl_runs_the_named_monitor(project: Path) -> None:
    loaded(project)
    result = khp(project, "repl", "SlotMonitor", "--at", AT, stdin="run()\n")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2
    assert all(line.startswith("WARNING") for line in result.stdout.splitlines())


def test_prune_removes_data_older_than_the_retention(project: Path) -> None:
    loaded(project)
    result = khp(project, "prune", "--older-than", "1h")
    assert result.returncode == 0, result.stderr
    assert "removed 6 metrics" in result.stdout


def test_run_serves_metrics_while_it_loops(project: Path) -> None:
    loaded(project)
    result = khp(project, "run", "--cycles", "1")
    assert result.returncode == 0, result.stderr
    assert "serving metrics on http://127.0.0.1:" in result.stderr


def test_demo_simulates_and_evaluates_minute_by_minute(project: Path) -> None:
    bundled = project / "khp.yml"
    # The bundled monitors bring their own threshold defaults: nothing needs copying into khp.yml.
    bundled.write_text(bundled.read_text().replace("monitors: [monitors]", "monitors: [bundled]"))
    result = khp(
        project,
        "demo",
        "--clusters",
        "4",
        "--cycles",
        "3",
        "--tick",
        "0",
        "--fault-rate",
        "20",
        "--store",
        str(project / "var" / "demo.db"),
    )
    assert result.returncode == 0, result.stderr
    assert len(re.findall(r"\d+ problems? \(", result.stderr)) == 3
    assert "demo stopped after 3 cycles" in result.stdout
    assert "+ " in result.stdout  # with this many faults something appears


def test_run_applies_an_edited_cluster_file_without_a_restart(project: Path) -> None:
    loaded(project)
    config = project / "khp.yml"
    config.write_text(config.read_text().replace("interval: 1s", "interval: 2s"))
    env = dict(os.environ, KHP_CONFIG=str(config))
    run = subprocess.Popen(
        [*KHP, "run", "--cycles", "4"], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
        (project / "var" / "khp.db").exists() and CycleLog(project / "var" / "khp.db").recent(1)
    ):
        time.sleep(0.1)
    (project / "clusters" / "beta.yml").write_text("thresholds: {druid_slot_used_percent: {warning: 30}}\n")
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert err.count("configuration reloaded from") == 1, err


def test_monitors_markdown_prints_the_check_catalog(project: Path) -> None:
    result = khp(project, "monitors", "--markdown")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Check catalog\n")
    assert "1 check in 1 module." in result.stdout
    reads = "max of `druid/overlord/taskSlot.used.count`<br>max of `druid/overlord/taskSlot.total.count`"
    # khp.yml sets the warning level to 45: the catalog shows the thresholds in effect.
    fires = "**warning** `used > 45`<br>**critical** `used > 90`"
    assert f"| Task slot usage | {fires} | {reads} | Task slot usage above threshold |  |" in result.stdout
    assert "| `druid_slot_used_percent` | 45 | 90 |  |" in result.stdout
