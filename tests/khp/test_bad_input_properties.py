"""Property: the khp command turns bad input into one message naming what and where, exit 2, nothing written.

The command runs in this process (``khp.cli.main``) so that many generated inputs stay cheap.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from khp.cli import main
from tests.badinput import BAD_DURATION_TEXT, BAD_TIME_TEXT, bad_khp_yml, bad_metric_line, good_metric_line

from .helpers import SLOT_ROWS

JUNK = st.text(max_size=12)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with khp.yml, one monitor and a loaded store; each example works on a copy."""
    root = tmp_path_factory.mktemp("project")
    (root / "monitors").mkdir()
    (root / "monitors" / "slots.py").write_text(
        "from evaluator import Monitor\n\n\nclass SlotMonitor(Monitor):\n    def run(self):\n"
        "        self.emit('Slots', warning=self.max('druid/overlord/taskSlot.used.count') > 0)\n"
    )
    (root / "khp.yml").write_text("store: var/khp.db\nmonitors: [monitors]\nexporter: {listen: ''}\n")
    (root / "rows.jsonl").write_text(SLOT_ROWS + "\n")
    with running_in(root):
        assert khp("load", "metrics", "rows.jsonl")[0] == 0
    return root


@contextlib.contextmanager
def running_in(directory: Path) -> Iterator[None]:
    before = Path.cwd()
    saved = os.environ.get("KHP_CONFIG")
    os.chdir(directory)
    os.environ["KHP_CONFIG"] = str(directory / "khp.yml")
    try:
        yield
    finally:
        os.chdir(before)
        if saved is None:
            os.environ.pop("KHP_CONFIG", None)
        else:
            os.environ["KHP_CONFIG"] = saved


@contextlib.contextmanager
def project(template: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        copy = Path(directory) / "p"
        shutil.copytree(template, copy)
        with running_in(copy):
            yield copy


def usable(option: str, value: str) -> bool:
    """Whether ``value`` is one khp should accept for ``option`` (written out here, not asked of khp)."""
    if option in ("--fault-rate",):
        try:
            number = float(value)
        except ValueError:
            return False
        return 0 <= number <= 1e6
    if option == "--step":
        return bool(re.fullmatch(r"\s*(\d+(\.\d+)?[smhd])+\s*", value)) and any(c in "123456789" for c in value)
    try:
        number = int(value)
    except ValueError:
        return False
    lowest, highest = {"--minutes": (1, 527040), "--clusters": (1, 1000), "--seed": (0, None)}.get(option, (1, None))
    return number >= lowest and (highest is None or number <= highest)


def khp(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(argv))
        except SystemExit as exit:  # argparse's usage errors
            status = int(exit.code or 0)
    return status, out.getvalue(), err.getvalue()


def snapshot(directory: Path) -> dict[str, object]:
    """Every file's bytes, and what each store holds (SQLite's -wal and -shm are its own working files)."""
    files: dict[str, object] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.name.endswith(("-wal", "-shm")):
            files[str(path.relative_to(directory))] = path.read_bytes() if path.suffix != ".db" else rows(path)
    return files


def rows(db: Path) -> dict[str, int]:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {table: conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] for table in tables}


def refused(directory: Path, *argv: str) -> str:
    """Run ``khp argv`` in ``directory`` and demand the refusal contract; return the message."""
    before = snapshot(directory)
    status, out, err = khp(*argv)
    assert status == 2, (argv, status, out, err)
    assert "Traceback" not in err and "unexpected error" not in err, err
    lines = err.splitlines()
    message = lines[-1]
    if message.startswith("usage:") or (len(lines) > 1 and lines[0].startswith("usage:")):
        message = lines[-1]  # argparse: the usage, then "khp COMMAND: error: ..."
        assert message.startswith(f"khp {argv[0]}: error: "), err
    else:
        assert len(lines) == 1, err
        assert message.startswith(f"khp {argv[0]}: "), err
    assert snapshot(directory) == before, f"{argv} wrote something while refusing"
    return message


@given(BAD_TIME_TEXT, st.sampled_from(["check", "repl", "simulate"]))
def test_a_bad_time_is_refused(template: Path, text: str, command: str) -> None:
    option = "--until" if command == "simulate" else "--at"
    with project(template) as directory:
        message = refused(directory, command, f"{option}={text}")
        assert option in message


@given(
    st.sampled_from(["--minutes", "--clusters", "--seed", "--fault-rate", "--step"]),
    st.one_of(st.integers(max_value=0).map(str), st.sampled_from(["-3", "nan", "inf", "1e999", "x", "", "0s"]), JUNK),
)
def test_a_bad_simulation_option_is_refused(template: Path, option: str, value: str) -> None:
    assume(not usable(option, value))
    with project(template) as directory:
        refused(directory, "simulate", f"{option}={value}")


@given(st.sampled_from(["cycles", "run"]), st.one_of(st.integers(max_value=0).map(str), JUNK))
def test_a_count_below_one_is_refused(template: Path, command: str, value: str) -> None:
    option = "--last" if command == "cycles" else "--cycles"
    assume(not usable("--count", value))
    with project(template) as directory:
        refused(directory, command, f"{option}={value}")


@given(BAD_DURATION_TEXT)
def test_a_bad_duration_is_refused(template: Path, text: str) -> None:
    with project(template) as directory:
        refused(directory, "prune", f"--older-than={text}")


@given(bad_metric_line(), st.integers(min_value=0, max_value=5))
def test_a_bad_line_loads_nothing(template: Path, bad: bytes, before: int) -> None:
    with project(template) as directory:
        lines = [good_metric_line(f"h{i}") for i in range(before)] + [bad]
        (directory / "new.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        message = refused(directory, "load", "metrics", "new.jsonl")
        assert message.startswith(f"khp load: new.jsonl:{before + 1}: ")


@given(bad_khp_yml(), st.sampled_from([["check"], ["monitors"], ["cycles"], ["prune"], ["load", "metrics", "-"]]))
def test_a_bad_khp_yml_stops_every_command_before_it_writes(
    template: Path, case: tuple[dict[str, object], str], argv: list[str]
) -> None:
    content, _section = case
    with project(template) as directory:
        config = directory / "khp.yml"
        good: dict[str, object] = {"store": "var/khp.db", "monitors": ["monitors"], "exporter": {"listen": ""}}
        config.write_text(yaml.safe_dump(good | content, allow_unicode=True))
        message = refused(directory, *argv)
        assert str(config) in message


@given(st.lists(st.text(max_size=10), max_size=4), st.sampled_from(["check", "monitors", "lint", "test", "cycles"]))
def test_any_arguments_end_in_a_status_never_a_traceback(template: Path, words: list[str], command: str) -> None:
    with project(template) as directory:
        status, _out, err = khp(command, *words)
        assert status in (0, 1, 2, 3), (words, status, err)
        assert "Traceback" not in err and "unexpected error" not in err, err
        del directory
