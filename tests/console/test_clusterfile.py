"""``set_threshold``: one key changes, every other line and comment stays; ``write_atomically``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from khp.console import ClusterFileError, set_threshold, write_atomically
from khp.console._clusterfile import BLOCK, DUMPED, SURGICAL

from .helpers import ALPHA, BETA


def test_change_one_entry_in_place() -> None:
    text, method = set_threshold(ALPHA, "hdfs_capacity_used_percent", {"warning": 80})
    assert method == SURGICAL
    assert text == ALPHA.replace("{warning: 85, critical: 92}", "{warning: 80}")


def test_trailing_comment_keeps_its_column() -> None:
    text, _ = set_threshold(BETA, "datanode_without_nodemanager", {"warning": 3})
    before = next(line for line in BETA.splitlines() if "# no YARN" in line)
    after = next(line for line in text.splitlines() if "# no YARN" in line)
    assert after.index("#") == before.index("#")
    assert after.startswith("  datanode_without_nodemanager: {warning: 3}")


def test_remove_and_add_entries() -> None:
    removed, method = set_threshold(ALPHA, "druid_slot_used_percent", {})
    assert method == SURGICAL and "druid_slot_used_percent" not in removed and "headroom" not in removed
    added, method = set_threshold(ALPHA, "host_cpu_percent", {"warning": 1.5, "critical": None})
    assert method == SURGICAL
    lines = added.splitlines()
    assert lines[4] == "  host_cpu_percent: {warning: 1.5, critical: null}"
    assert lines[:4] + lines[5:] == ALPHA.splitlines()


def test_block_style_entry_becomes_one_line() -> None:
    text = (
        "thresholds:\n  a:\n    warning: 1   # w\n    critical: 2  # c\n  # about b\n  b: {warning: 3}\npending: 3m\n"
    )
    edited, method = set_threshold(text, "a", {"warning": 5})
    assert method == SURGICAL
    assert edited == "thresholds:\n  a: {warning: 5}  # c\n  # about b\n  b: {warning: 3}\npending: 3m\n"


@pytest.mark.parametrize(
    "text",
    ["", "# only a comment\n", "pending: 3m", "thresholds:\npending: 3m\n", "thresholds: {}\n", "thresholds: null\n"],
)
def test_files_without_entries_get_a_thresholds_block(text: str) -> None:
    edited, method = set_threshold(text, "k", {"warning": 2})
    assert method in (SURGICAL, BLOCK)
    loaded = yaml.safe_load(edited)
    assert loaded["thresholds"] == {"k": {"warning": 2}}
    if text.startswith("#"):
        assert edited.startswith("# only a comment\n")


def test_flow_mapping_is_rewritten_as_a_block() -> None:
    text = "# head\nthresholds: {a: {warning: 1}, b: null}\npending: 3m  # tail\n"
    edited, method = set_threshold(text, "a", {"critical": 9})
    assert method == BLOCK
    assert edited == "# head\nthresholds:\n  a: {critical: 9}\n  b: null\npending: 3m  # tail\n"


def test_numbers_load_back_as_numbers() -> None:
    for value in (0, -3, 0.5, 1e-7, 123456789012, 2.5e300):
        edited, _ = set_threshold(ALPHA, "k", {"warning": value})
        assert yaml.safe_load(edited)["thresholds"]["k"] == {"warning": value}


def test_unchanged_when_removing_what_is_not_there() -> None:
    assert set_threshold(ALPHA, "nothing_here", {}) == (ALPHA, SURGICAL)


def test_odd_layouts_fall_back_to_a_full_dump() -> None:
    text = "thresholds: &t\n  a: {warning: 1}\nother: *t\n"
    edited, method = set_threshold(text, "a", {"warning": 2})
    assert yaml.safe_load(edited)["thresholds"] == {"a": {"warning": 2}}
    assert method in (SURGICAL, BLOCK, DUMPED)


@pytest.mark.parametrize("text", ["- a list\n", "thresholds: [1, 2]\n", "thresholds: {a: 1\n"])
def test_files_that_cannot_be_edited(text: str) -> None:
    with pytest.raises(ClusterFileError, match="fix it by hand first"):
        set_threshold(text, "a", {"warning": 1})


def test_write_atomically_replaces_and_keeps_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "alpha.yml"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n" and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["alpha.yml"]


def test_write_atomically_into_a_missing_directory_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(ClusterFileError, match="is unchanged"):
        write_atomically(tmp_path / "missing" / "alpha.yml", "x")
