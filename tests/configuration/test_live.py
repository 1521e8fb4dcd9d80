"""``LiveConfig``: a changed file is seen at the next ``current()``, and only the changed files are read again."""

from __future__ import annotations

import os
from pathlib import Path

from khp.configuration import LiveConfig, load_config
from khp.configuration._cache import FileCache
from khp.configuration._defaults import monitor_defaults

from .test_load import setup, write

MONITOR = """\
from evaluator import Monitor


class DiskMonitor(Monitor):
    thresholds = {"disk_used_percent": {"warning": 80, "critical": 90}}

    def run(self):
        pass
"""


def fleet(tmp_path: Path) -> Path:
    write(tmp_path / "monitors/disk.py", MONITOR)
    return setup(
        tmp_path,
        "monitors: [monitors]\nthresholds: {disk_used_percent: {critical: 95}}\n",
        clusters={name: f"thresholds: {{disk_used_percent: {{warning: {n}}}}}\n" for n, name in enumerate(CLUSTERS)},
    )


CLUSTERS = ("alpha.yml", "beta.yml", "gamma.yml")


def edit(path: Path, text: str) -> None:
    """Write ``text`` so that the file's signature surely changes (size, and mtime moved on)."""
    before = os.stat(path)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))


def test_an_edited_cluster_file_is_the_only_file_read_again(tmp_path: Path) -> None:
    live = LiveConfig(load_config(fleet(tmp_path)))
    before = live.current()
    assert live.files.read == []  # nothing changed: nothing read

    edit(tmp_path / "clusters/beta.yml", "thresholds: {disk_used_percent: {warning: 61.5}}\npending: 2m\n")
    after = live.current()
    assert live.files.read == [str(tmp_path / "clusters/beta.yml")]
    assert after is not before
    assert after.threshold("disk_used_percent", "beta", "warning") == 61.5
    assert after.clusters["beta"].pending == 120
    assert after.clusters["alpha"] is before.clusters["alpha"]  # taken as it was
    assert after.threshold("disk_used_percent", "alpha", "critical") == 95


def test_an_edited_khp_yml_is_read_again_and_the_clusters_are_checked_against_it(tmp_path: Path) -> None:
    path = fleet(tmp_path)
    live = LiveConfig(load_config(path))
    edit(path, "monitors: [monitors]\nthresholds: {disk_used_percent: {critical: 97}}\nclusters_dir: clusters\n")
    config = live.current()
    assert live.files.read == [str(path)]
    assert config.threshold("disk_used_percent", "gamma", "critical") == 97
    assert config.threshold("disk_used_percent", "gamma", "warning") == 2


def test_a_new_cluster_file_is_read_and_a_removed_one_is_gone(tmp_path: Path) -> None:
    path = fleet(tmp_path)
    live = LiveConfig(load_config(path))
    write(tmp_path / "clusters/delta.yml", "pending: 3m\n")
    (tmp_path / "clusters/gamma.yml").unlink()
    config = live.current()
    assert live.files.read == [str(tmp_path / "clusters/delta.yml")]
    assert sorted(config.clusters) == ["alpha", "beta", "delta"]


def test_a_broken_edit_keeps_the_last_good_config_until_it_is_fixed(tmp_path: Path) -> None:
    path = fleet(tmp_path)
    live = LiveConfig(load_config(path))
    good = live.current()
    beta = tmp_path / "clusters/beta.yml"
    edit(beta, "thresholds:\n  disk_used_percent: {warning: 50}\n  disk_used_percent: {warning: 60}\n")
    assert live.current() is good
    assert live.error is not None
    assert (live.error.file, live.error.key) == (str(beta), "thresholds.disk_used_percent")
    assert "line 3 (first at line 2)" in live.error.problem

    edit(beta, "thresholds:\n  disk_used_percent: {warning: 55}\n")
    fixed = live.current()
    assert live.error is None
    assert live.files.read == [str(beta)]
    assert fixed.threshold("disk_used_percent", "beta", "warning") == 55


def test_a_cached_cluster_file_is_still_checked_for_unknown_thresholds(tmp_path: Path) -> None:
    path = fleet(tmp_path)
    live = LiveConfig(load_config(path))
    good = live.current()
    write(tmp_path / "monitors/disk.py", MONITOR.replace("disk_used_percent", "disk_free_percent"))
    edit(path, "monitors: [monitors]\nclusters_dir: clusters\n")  # khp.yml no longer defines disk_used_percent either
    assert live.current() is good
    assert live.error is not None
    assert live.error.key == "thresholds.disk_used_percent"
    assert "unknown threshold" in live.error.problem


def test_monitor_declarations_are_parsed_again_only_when_the_module_changed(tmp_path: Path) -> None:
    module = write(tmp_path / "monitors/disk.py", MONITOR)
    cache = FileCache()
    cache.begin()
    assert monitor_defaults([tmp_path / "monitors"], cache).thresholds["disk_used_percent"].warning == 80
    assert cache.read == [str(module)]
    cache.begin()
    monitor_defaults([tmp_path / "monitors"], cache)
    assert cache.read == []
    edit(module, MONITOR.replace('"warning": 80', '"warning": 75'))
    cache.begin()
    assert monitor_defaults([tmp_path / "monitors"], cache).thresholds["disk_used_percent"].warning == 75
    assert cache.read == [str(module)]
