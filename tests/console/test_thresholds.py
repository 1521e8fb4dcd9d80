"""Threshold edits: validated, written atomically to the cluster file, seen without a restart."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from flask.testing import FlaskClient

from khp.configuration import Config, load_config
from khp.history import open_history

from .conftest import post
from .helpers import ALPHA, USER

KEY = "druid_slot_used_percent"


def edit(client: FlaskClient, warning: str, critical: str = "", key: str = KEY, cluster: str = "alpha") -> object:
    page = f"/clusters/{cluster}"
    return post(client, f"{page}/thresholds/{key}", {"warning": warning, "critical": critical}, page)


def alpha_file(config: Config) -> Path:
    return Path(config.clusters["alpha"].file)


def test_edit_writes_the_file_keeps_comments_and_reloads(client: FlaskClient, config: Config) -> None:
    response = edit(client, "60", "off")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#threshold-{KEY}")
    text = alpha_file(config).read_text()
    assert f"  {KEY}: {{warning: 60, critical: null}}" in text
    assert "# ingestion has to keep headroom here" in text and text.startswith("# alpha: large shared cluster")
    reloaded = load_config(config.file)
    assert reloaded.threshold(KEY, "alpha", "warning") == 60 and reloaded.threshold(KEY, "alpha", "critical") is None
    html = client.get("/clusters/alpha").get_data(as_text=True)
    assert "Saved threshold druid_slot_used_percent: warning 70 -&gt; 60, critical default -&gt; off" in html
    assert 'name="critical" size="7" value="off"' in html
    with open_history(config) as history:
        (action,) = history.events(time.time() - 60, time.time() + 1, "alpha", kinds=["action"])
    assert action.actor == USER and "warning 70 -> 60" in action.detail and "alpha.yml" in action.detail


def test_only_the_edited_line_changes(client: FlaskClient, config: Config) -> None:
    edit(client, "65")
    before, after = ALPHA.splitlines(), alpha_file(config).read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [
        (
            "  druid_slot_used_percent: {warning: 70}           # ingestion has to keep headroom here",
            "  druid_slot_used_percent: {warning: 65}           # ingestion has to keep headroom here",
        )
    ]


def test_empty_fields_go_back_to_the_default(client: FlaskClient, config: Config) -> None:
    assert edit(client, "", "").status_code == 303
    data = yaml.safe_load(alpha_file(config).read_text())
    assert KEY not in data["thresholds"] and "hdfs_capacity_used_percent" in data["thresholds"]
    assert load_config(config.file).threshold(KEY, "alpha", "warning") == 80


def test_new_override_on_a_file_without_thresholds(client: FlaskClient, config: Config) -> None:
    assert edit(client, "1.5", "2.5e3", key="host_cpu_percent", cluster="gamma").status_code == 303
    gamma = Path(config.clusters["gamma"].file).read_text()
    assert gamma.startswith("# gamma: defaults only\n")
    reloaded = load_config(config.file)
    assert reloaded.threshold("host_cpu_percent", "gamma", "warning") == 1.5
    assert reloaded.threshold("host_cpu_percent", "gamma", "critical") == 2500


@pytest.mark.parametrize(
    ("warning", "critical", "reason"),
    [
        ("high", "", "is not a number"),
        ("80%", "", "is not a number"),
        ("", "1e999", "too large"),
        ("nan", "", "is not a number"),
        ("", "0x10", "is not a number"),
    ],
)
def test_values_are_validated(client: FlaskClient, config: Config, warning: str, critical: str, reason: str) -> None:
    response = edit(client, warning, critical)
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert alpha_file(config).read_text() == ALPHA


def test_unknown_keys_are_refused(client: FlaskClient, config: Config) -> None:
    response = edit(client, "1", key="no_such_threshold")
    assert response.status_code == 422 and "unknown threshold" in response.get_data(as_text=True)
    assert alpha_file(config).read_text() == ALPHA


def test_cluster_without_a_file_cannot_be_edited(client: FlaskClient) -> None:
    response = edit(client, "1", cluster="delta")
    assert response.status_code == 422 and "has no cluster file" in response.get_data(as_text=True)


def test_a_hand_edit_is_picked_up_without_restart(client: FlaskClient, config: Config) -> None:
    path = alpha_file(config)
    path.write_text(ALPHA.replace("{warning: 70}", "{warning: 55}"))
    html = client.get("/clusters/alpha").get_data(as_text=True)
    assert 'name="warning" size="7" value="55"' in html


def test_a_new_cluster_file_is_picked_up(client: FlaskClient, config: Config) -> None:
    (alpha_file(config).parent / "epsilon.yml").write_text("pending: 1m\n")
    assert client.get("/clusters/epsilon").status_code == 200
    assert 'href="/clusters/epsilon"' in client.get("/").get_data(as_text=True)


def test_a_broken_file_keeps_the_last_good_config_and_says_so(client: FlaskClient, config: Config) -> None:
    path = alpha_file(config)
    path.write_text("thresholds: {druid_slot_used_percent: {warning: lots}}\n")
    html = client.get("/clusters/alpha").get_data(as_text=True)
    assert "does not load; the last good one stays in force" in html and "expected a number" in html
    assert 'name="warning" size="7" value="70"' in html
    path.write_text(ALPHA)
    assert "does not load" not in client.get("/clusters/alpha").get_data(as_text=True)


def test_every_app_sees_another_apps_edit(client: FlaskClient, config: Config) -> None:
    """Two gunicorn workers are two apps on one file: an edit through one is seen by the other."""
    from khp.console import create_app

    from .conftest import login
    from .helpers import ENVIRON

    other = create_app(load_config(config.file), environ=ENVIRON).test_client()
    login(other)
    assert 'value="70"' in other.get("/clusters/alpha").get_data(as_text=True)
    edit(client, "42")
    assert 'name="warning" size="7" value="42"' in other.get("/clusters/alpha").get_data(as_text=True)


EDIT_SCRIPT = textwrap.dedent(
    """
    import resource, signal, sys
    sys.path.insert(0, sys.argv[3])
    from khp.configuration import load_config
    from khp.console import create_app
    from tests.console.conftest import login, post

    app = create_app(load_config(sys.argv[1]), environ={"KHP_CONSOLE_SECRET": "test-secret-0123456789abcdef"})
    client = app.test_client()
    assert login(client) == 303
    page = client.get("/clusters/alpha")
    if sys.argv[2] == "fsize":
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (40, 40))
    response = post(client, "/clusters/alpha/thresholds/druid_slot_used_percent", {"warning": "11"})
    print(response.status_code)
    print(response.get_data(as_text=True))
    """
)


def run_edit(project: Path, how: str) -> tuple[int, str]:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", EDIT_SCRIPT, str(project), how, str(root)],
        capture_output=True, text=True, timeout=120, cwd=project.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    status, _, body = result.stdout.partition("\n")
    return int(status), body


def test_a_write_that_fails_midway_leaves_the_file_whole(config: Config) -> None:
    """Files may grow to 40 bytes only: the temporary file is cut short, the original stays as it was."""
    status, body = run_edit(Path(config.file), "fsize")
    assert status == 422 and "is unchanged" in body
    path = alpha_file(config)
    assert path.read_text() == ALPHA
    assert load_config(config.file).threshold(KEY, "alpha", "warning") == 70
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """``directory`` made read-only: by mode bits, or for root (whom mode bits do not stop) immutable (chattr +i)."""
    if os.geteuid() != 0:
        os.chmod(directory, 0o555)
        try:
            yield
        finally:
            os.chmod(directory, 0o755)
        return
    chattr = shutil.which("chattr")
    made = chattr and subprocess.run([chattr, "+i", str(directory)], capture_output=True).returncode == 0
    if not made:
        pytest.skip(f"running as root and cannot make {directory} immutable (chattr +i) on this file system")
    try:
        yield
    finally:
        subprocess.run([str(chattr), "-i", str(directory)], check=True)


def test_a_read_only_directory_leaves_the_file_whole(client: FlaskClient, config: Config) -> None:
    clusters = alpha_file(config).parent
    with read_only(clusters):
        response = edit(client, "11")
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and "cannot write in" in body and "is unchanged" in body
    assert alpha_file(config).read_text() == ALPHA
    assert sorted(p.name for p in clusters.iterdir()) == ["alpha.yml", "beta.yml", "gamma.yml"]
    assert 'name="warning" size="7" value="70"' in client.get("/clusters/alpha").get_data(as_text=True)
