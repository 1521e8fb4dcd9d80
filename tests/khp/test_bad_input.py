"""Each bad input found by trying khp as a new user: one message naming what and where, exit 2, nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from khp.store import CycleLog, Store

from .helpers import SLOT_ROWS, khp

AT = "2026-11-29T10:00:00Z"
ROW = '{"time": %s, "cluster": "alpha", "host": "o1", "service": "druid", "role": "overlord", "name": "n", "value": 1}'


def loaded(project: Path) -> Path:
    (project / "rows.jsonl").write_text(SLOT_ROWS + "\n")
    assert khp(project, "load", "metrics", "rows.jsonl").returncode == 0
    return project / "var" / "khp.db"


def one_line(result: subprocess.CompletedProcess, command: str) -> str:
    """The refusal: exit 2, no traceback, one line on stderr starting with the command."""
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"khp {command}: ")
    return lines[0]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    ("time", "fragment"),
    [
        ('"nan"', "rows.jsonl:2: field 'time': 'nan' is not a time (not a finite number)"),
        (
            "1795946400000",
            "rows.jsonl:2: field 'time': 1795946400000 is outside the times khp accepts, 1970 to 2200:"
            " it looks like epoch milliseconds (2026-11-29T10:00:00Z); divide by 1000",
        ),
        ("1e999", "rows.jsonl:2: field 'time': inf is not a time (not a finite number)"),
    ],
)
def test_times_no_store_should_hold_load_nothing(project: Path, time: str, fragment: str) -> None:
    db = loaded(project)
    (project / "rows.jsonl").write_text(ROW % 1795946400 + "\n" + ROW % time + "\n")
    line = one_line(khp(project, "load", "metrics", "rows.jsonl"), "load")
    assert fragment in line
    assert line.endswith("; nothing from rows.jsonl was loaded")
    assert Store(db).counts()["metrics"] == 6


def test_bytes_that_are_not_utf8_name_the_file_and_line(project: Path) -> None:
    (project / "rows.jsonl").write_bytes((ROW % 1795946400).encode() + b"\n" + b'{"host": "caf\xe9"}\n')
    line = one_line(khp(project, "load", "metrics", "rows.jsonl"), "load")
    assert line == "khp load: rows.jsonl:2: not UTF-8 text (byte 0xe9 at column 14); nothing from rows.jsonl was loaded"


@pytest.mark.parametrize("at", ["nan", "1e308", "99999999999999999999", "now-1000000d", "inf", "1795946400000"])
def test_an_at_no_clock_can_show_is_refused_before_a_cycle_record_is_written(project: Path, at: str) -> None:
    db = loaded(project)
    line = one_line(khp(project, "check", "--at", at), "check")
    assert line.startswith(f"khp check: --at: '{at}' is ")
    assert CycleLog(db).recent() == []
    assert khp(project, "cycles").returncode == 0


def test_cycles_reads_a_store_that_already_holds_an_overflowing_record(project: Path) -> None:
    db = loaded(project)
    assert khp(project, "check", "--at", AT).returncode == 1
    record = CycleLog(db).recent()[0] | {"at": 1e308}
    CycleLog(db).append(record)  # what an --at of 1e308 used to leave behind
    result = khp(project, "cycles")
    assert result.returncode == 0, result.stderr
    assert "at=1e+308 (not a date)" in result.stdout


def test_a_damaged_store_is_named_with_the_fix(project: Path) -> None:
    from khp.records import MetricRow

    db = project / "var" / "khp.db"
    store = Store(db)
    store.write_metrics([MetricRow(1795946400, "alpha", f"h{i}", "s", "r", "n", 1.0) for i in range(3000)])
    store.close()
    with db.open("r+b") as file:  # a disk or a copy gone wrong
        file.seek(4096 * 3)
        file.write(b"\xde\xad\xbe\xef" * 1024)
    (project / "more.jsonl").write_text(ROW % 1795946500 + "\n")
    line = one_line(khp(project, "load", "metrics", "more.jsonl"), "load")
    # found when the store is opened (it reads its latest-value table) or when the file is loaded
    assert line.startswith(
        (
            f"khp load: cannot open the store {db}: the file is damaged (",
            f"khp load: cannot load more.jsonl into the store {db}: the file is damaged (",
        )
    )
    assert line.endswith("restore a copy, or move it away and khp starts an empty one")


def test_a_read_only_store_is_refused_by_check_and_load_and_nothing_is_written() -> None:
    from tests.unprivileged import read_only, shared_directory, unprivileged

    with shared_directory() as directory:
        (directory / "khp.yml").write_text("store: var/khp.db\nmonitors: [bundled]\n")
        (directory / "rows.jsonl").write_text(SLOT_ROWS + "\n")
        assert khp(directory, "load", "metrics", "rows.jsonl").returncode == 0
        (directory / "var").chmod(0o777)  # the directory stays writable: only the file is read-only
        read_only(directory / "var" / "khp.db", directory / "khp.yml", directory / "rows.jsonl")
        before = snapshot(directory)
        env = {"PATH": "/usr/bin:/bin", "KHP_CONFIG": str(directory / "khp.yml"), "HOME": str(directory)}
        for args in (["check", "--at", AT], ["load", "metrics", "rows.jsonl"]):
            done = subprocess.run(
                unprivileged([sys.executable, "-m", "khp", *args]),
                cwd=directory,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            line = one_line(done, args[0])
            assert "var/khp.db" in line and "read-only" in line, line
        after = snapshot(directory)
        assert {k: v for k, v in after.items() if not k.endswith(("-wal", "-shm"))} == before


def test_simulate_refuses_negative_minutes_and_other_nonsense(project: Path) -> None:
    for args, fragment in [
        (["--minutes", "-3"], "argument --minutes: -3 is out of range; give a whole number from 1 to 527040"),
        (["--clusters", "0"], "argument --clusters: 0 is out of range; give a whole number from 1 to 1000"),
        (["--step", "0s"], "argument --step: '0s' is no step; give one longer than 0 seconds"),
        (["--fault-rate", "nan"], "argument --fault-rate: nan is out of range"),
        (["--until", "1e308"], "--until: '1e308' is outside the times khp accepts"),
    ]:
        result = khp(project, "simulate", *args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
        assert fragment in result.stderr, result.stderr
    assert not (project / "var").exists()


def test_check_on_a_store_that_does_not_exist_says_so_and_creates_nothing(project: Path) -> None:
    config = project / "khp.yml"
    config.write_text(config.read_text().replace("store: var/khp.db", "store: var/khp-typo.db"))
    line = one_line(khp(project, "check"), "check")
    assert line == (
        f"khp check: the store {project / 'var' / 'khp-typo.db'} does not exist (the metrics, logs, processes come"
        f" from it); check 'store:' in {config}, or fill it with 'khp load' or 'khp simulate'"
    )
    assert not (project / "var").exists()
    assert "does not exist" in one_line(khp(project, "cycles"), "cycles")
    assert not (project / "var").exists()


def test_an_unknown_channel_type_names_the_file_and_key(project: Path) -> None:
    (project / "clusters" / "beta.yml").write_text("channels: {warning: ['kakaowrk:1']}\n")
    line = one_line(khp(project, "check"), "check")
    assert line.startswith(f"khp check: {project / 'clusters' / 'beta.yml'}: channels.warning[0]: unknown channel")


def test_load_reads_standard_input(project: Path) -> None:
    result = khp(project, "load", "metrics", "-", stdin=SLOT_ROWS + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"standard input: loaded 6 metrics records into {project / 'var' / 'khp.db'}\n"
    bad = khp(project, "load", "logs", "-", stdin="not json\n")
    assert one_line(bad, "load") == (
        "khp load: <stdin>:1: not JSON (Expecting value at column 1); nothing from <stdin> was loaded"
    )
    single = khp(project, "load", "metrics", "-", stdin=(ROW % 1795946400) + "\n")
    assert "loaded 1 metrics record into" in single.stdout


def test_load_names_a_file_that_cannot_be_read(project: Path) -> None:
    line = one_line(khp(project, "load", "metrics", "nope.jsonl"), "load")
    assert line == "khp load: nope.jsonl: cannot read it: No such file or directory; nothing from it was loaded"


def test_cycles_and_run_refuse_counts_below_one(project: Path) -> None:
    loaded(project)
    for args in (["cycles", "--last", "-5"], ["run", "--cycles", "0"]):
        result = khp(project, *args)
        assert result.returncode == 2 and "is out of range" in result.stderr, result.stderr


def test_json_of_cycles_is_valid(project: Path) -> None:
    loaded(project)
    khp(project, "check", "--at", AT)
    assert len(json.loads(khp(project, "cycles", "--json").stdout)) == 1
