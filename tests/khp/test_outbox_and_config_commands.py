"""``khp outbox list|retry`` and ``khp check-config``, in process through ``khp.cli.main``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kakao_receiver._outbox import Outbox
from khp.cli import main


def project(tmp_path: Path, bot: str = "") -> Path:
    (tmp_path / "token").write_text("t0ken\n")
    (tmp_path / "khp.yml").write_text(
        f"""
store: var/khp.db
routing: {{receiver_url: "http://127.0.0.1:8080/alertmanager", credentials_file: {tmp_path / "token"},
          channels: {{warning: ["console:ops"], critical: ["console:ops"]}}}}
receiver:
  bot: {{{bot}}}
"""
    )
    return tmp_path / "khp.yml"


def test_outbox_list_shows_dead_letters_and_retry_sends_them_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project(tmp_path)
    outbox = Outbox(tmp_path / "var" / "khp-outbox.db")
    body = json.dumps({"status": "firing", "groupKey": "{}:{a}"})
    outbox.accept("n1", "khp-critical", body, {"console:ops": {"text": "one"}, "console:b": {"text": "two"}})
    dead = outbox.claim(60)
    assert dead is not None and outbox.mark_dead(dead, "invalid_blocks: refused in its simplest form") is not None

    assert main(["--config", str(config), "outbox", "list", "--state", "dead"]) == 0
    listed = capsys.readouterr().out
    assert "dead" in listed and "console:ops" in listed and "invalid_blocks" in listed and "console:b" not in listed
    assert main(["--config", str(config), "outbox", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["state"]) for r in rows] == [(2, "pending"), (1, "dead")]

    assert main(["--config", str(config), "outbox", "retry", "--id", "1"]) == 0
    assert "1 deliveries will be sent again" in capsys.readouterr().out
    assert [r["state"] for r in outbox.rows()] == ["pending", "pending"]
    assert main(["--config", str(config), "outbox", "retry", "--id", "99"]) == 1


def test_outbox_retry_needs_id_or_all(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--config", str(project(tmp_path)), "outbox", "retry"])
    assert caught.value.code == 2


def test_check_config_warns_that_the_bot_without_secrets_refuses_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project(tmp_path)
    assert main(["--config", str(config), "check-config"]) == 0
    said = capsys.readouterr().err
    assert "warning: " in said and "POST /kakaowork/callback refuses every request (403)" in said
    assert "POST /kakao/skill refuses every request (403)" in said
    assert main(["--config", str(config), "check-config", "--strict"]) == 1

    monkeypatch.setenv("S1", "skill-secret")
    monkeypatch.setenv("C1", "callback-secret")
    secured = project(tmp_path, "skill_token_env: S1, callback_token_env: C1")
    assert main(["--config", str(secured), "check-config", "--strict"]) == 0
    assert "every section reads as the services will read it" in capsys.readouterr().out


def test_check_config_reports_errors_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = project(tmp_path)
    (tmp_path / "token").unlink()
    assert main(["--config", str(config), "check-config"]) == 2
    assert "error: " in capsys.readouterr().err
