"""``khp maintenance`` / ``mute`` / ``unmute`` from the command line, against a real Alertmanager."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from khp.configuration import Config
from tests.realparts.alertmanager import AlertmanagerServer

from . import cli_harness

ROOT = Path(__file__).resolve().parents[2]
TASK = "Task slot usage"


def khp(config: Config, *argv: str, module: str = "tests.silences.cli_harness") -> subprocess.CompletedProcess[str]:
    """The command in a process of its own, as an operator runs it."""
    env = dict(os.environ, KHP_CONFIG=config.file, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", module, *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_maintenance_start_list_extend_end(
    config: Config, am: AlertmanagerServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--config", config.file]
    code = cli_harness.main(
        ["maintenance", "start", "alpha", "--for", "2h", "--reason", "HDFS upgrade", "--by", "kim", *argv]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("alpha in maintenance until ") and "(by kim: HDFS upgrade; silence " in out
    (silence,) = am.silences()

    assert cli_harness.main(["maintenance", "list", "--json", *argv]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert {k: listed[k] for k in ("id", "kind", "cluster", "check", "created_by", "reason", "state")} == {
        "id": silence["id"], "kind": "maintenance", "cluster": "alpha", "check": None, "created_by": "kim",
        "reason": "HDFS upgrade", "state": "active",
    }  # fmt: skip

    assert cli_harness.main(["maintenance", "extend", silence["id"], "--for", "1h", *argv]) == 0
    assert silence["id"] in capsys.readouterr().out

    assert cli_harness.main(["maintenance", "list", *argv]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "KIND", "CLUSTER", "CHECK", "UNTIL", "BY", "REASON"]
    assert table[1].split()[:4] == [silence["id"], "maintenance", "alpha", "-"]
    assert table[1].endswith("HDFS upgrade")

    assert cli_harness.main(["maintenance", "end", "alpha", *argv]) == 0
    assert capsys.readouterr().out.startswith("ended: alpha in maintenance ended ")
    assert cli_harness.main(["maintenance", "end", "alpha", *argv]) == 0
    assert capsys.readouterr().out == "alpha is not in maintenance\n"
    assert cli_harness.main(["maintenance", "end", silence["id"], *argv]) == 0  # already ended: fine
    assert cli_harness.main(["maintenance", "list", *argv]) == 0
    assert "no maintenance windows or mutes in force" in capsys.readouterr().out


def test_the_os_user_is_the_default_author(
    config: Config, am: AlertmanagerServer, capsys: pytest.CaptureFixture[str]
) -> None:
    import getpass

    assert (
        cli_harness.main(["--config", config.file, "mute", TASK, "--cluster", "beta", "--level", "cri", "--for", "30m"])
        == 0
    )
    (silence,) = am.silences()
    assert silence["createdBy"] == getpass.getuser()
    assert capsys.readouterr().out.startswith("'Task slot usage' on beta: critical only until ")


def test_errors_exit_2_with_the_message(
    config: Config, am: AlertmanagerServer, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--config", config.file]
    assert cli_harness.main(["maintenance", "start", "alpha", "--reason", "x", *argv]) == 2
    assert capsys.readouterr().err.startswith("khp maintenance start: maintenance of alpha needs an end")
    assert cli_harness.main(["maintenance", "start", "alpha", "--for", "3d", "--reason", "x", *argv]) == 2
    assert "allowed by silences.max_maintenance in" in capsys.readouterr().err
    assert cli_harness.main(["maintenance", "start", "alpha", "--for", "1h", *argv]) == 2
    assert "needs a reason (--reason TEXT)" in capsys.readouterr().err
    assert cli_harness.main(["mute", "Nope", "--cluster", "alpha", "--level", "off", "--for", "1h", *argv]) == 2
    assert "khp mute: unknown check 'Nope'" in capsys.readouterr().err
    assert am.silences() == []


def test_the_commands_in_a_process_of_their_own(config: Config, am: AlertmanagerServer) -> None:
    muted = khp(config, "mute", TASK, "--cluster", "alpha", "--level", "off", "--for", "1h", "--reason", "noisy")
    assert muted.returncode == 0, muted.stderr
    assert "'Task slot usage' on alpha: off until" in muted.stdout
    listed = khp(config, "maintenance", "list", "--cluster", "alpha", "--json")
    assert [(s["kind"], s["check"], s["reason"]) for s in json.loads(listed.stdout)] == [("off", TASK, "noisy")]
    unmuted = khp(config, "unmute", TASK, "--cluster", "alpha")
    assert unmuted.returncode == 0 and unmuted.stdout.startswith("ended: 'Task slot usage' on alpha: off ended ")
    again = khp(config, "unmute", TASK, "--cluster", "alpha")
    assert again.stdout == "'Task slot usage' on alpha was not muted\n"
    refused = khp(config, "maintenance", "start", "omega", "--for", "1h", "--reason", "x")
    assert refused.returncode == 2
    assert "unknown cluster 'omega'" in refused.stderr and "known clusters: alpha, beta" in refused.stderr


def test_no_alertmanager_exits_1(tmp_path: Path) -> None:
    from tests.realparts.prometheus import free_port

    from .helpers import project_config

    config = project_config(tmp_path, [f"http://127.0.0.1:{free_port()}"])
    result = khp(config, "maintenance", "list")
    assert result.returncode == 1
    assert "khp maintenance list: no Alertmanager answered" in result.stderr


def test_the_real_khp_command(config: Config, am: AlertmanagerServer) -> None:
    started = khp(config, "maintenance", "start", "beta", "--for", "1h", "--reason", "disk swap", module="khp")
    assert started.returncode == 0, started.stderr
    assert "beta in maintenance until" in started.stdout
    assert khp(config, "maintenance", "end", "beta", module="khp").returncode == 0
    refused = khp(config, "maintenance", "start", "beta", "--for", "1h", module="khp")
    assert refused.returncode == 2 and "needs a reason" in refused.stderr
