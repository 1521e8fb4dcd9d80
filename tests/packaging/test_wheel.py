"""The wheel installs only khp-monitor's own top-level names, so it shadows no other distribution."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"alert_bridge", "evaluator", "exporter", "kakao_receiver", "khp"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    source = build / "source"  # a copy of the tracked files: building in the work tree would leave build/ there
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        cwd=build,
        env={"PATH": "/usr/bin:/bin", "HOME": str(build), "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert done.returncode == 0, done.stderr
    (found,) = out.glob("khp_monitor-*.whl")
    return found


def test_the_wheel_installs_only_the_allowed_top_level_names(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    top = {name.split("/", 1)[0] for name in names if "/" in name and ".dist-info" not in name.split("/", 1)[0]}
    top |= {name.removesuffix(".py") for name in names if "/" not in name and name.endswith(".py")}
    assert top == ALLOWED


def test_the_wheel_carries_the_console_templates_and_bundled_monitors(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "khp/console/templates/cluster.html" in names
    assert "khp/console/static/console.css" in names
    assert "evaluator/monitors/kudu.py" in names


def test_a_build_as_pip_install_makes_it_warns_of_nothing(tmp_path: Path) -> None:
    """scripts/setup is quiet on success: setuptools, in pip's isolated build, finds every shipped directory."""
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "out"), str(source)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "would be ignored" not in output and "Warning:" not in output, output
