"""Property: a file with one bad line anywhere loads nothing, and the error names the file and that line."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from khp.store import IngestError, Store
from tests.badinput import bad_metric_line, good_metric_line


@given(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30), bad_metric_line())
def test_one_bad_line_anywhere_loads_nothing_and_is_named(before: int, after: int, bad: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = Store(Path(directory) / "khp.db")
        store.write_metrics([])
        file = Path(directory) / "rows.jsonl"
        lines = [good_metric_line(f"b{i}") for i in range(before)] + [bad]
        lines += [good_metric_line(f"a{i}") for i in range(after)]
        file.write_bytes(b"\n".join(lines) + b"\n")
        try:
            store.load_file("metrics", file)
        except IngestError as exc:
            assert (exc.file, exc.line) == (str(file), before + 1), exc
            assert str(exc).startswith(f"{file}:{before + 1}: ")
            assert str(exc).endswith(f"; nothing from {file} was loaded")
            assert "\n" not in str(exc)
        else:
            raise AssertionError(f"loaded a file with the bad line {bad!r}")
        assert store.counts()["metrics"] == 0
        store.close()
