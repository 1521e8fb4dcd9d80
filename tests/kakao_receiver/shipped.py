"""The configuration files as they ship, with only their secrets and addresses replaced, for tests.

``shipped_project(name, directory, addresses)`` copies ``khp.yml`` or ``deploy/khp.yml`` and
every ``configs/clusters/*.yml`` into ``directory`` at the same relative places (``evaluator/``
is linked), so every relative path reads as in the repository. The files are unchanged except
these keys (nothing is added but where a service's address is only implied by a default):

================================================ ============================================
``alertmanager.urls``                            the test's Alertmanagers, one for one
``routing.receiver_url``                         the receiver under test
``routing.credentials_file``                     a token file in ``directory``
``exporter.listen``                              a free loopback port
``history.elasticsearch.hosts``                  the Elasticsearch stand-in (deploy/khp.yml)
``receiver.channels.kakaowork.base_url``         the Kakao stand-in (by default api.kakaowork.com)
``receiver.channels.kakaotalk.base_url``,        the Kakao stand-in (by default kapi.kakao.com,
``auth_url``, ``token_file``                     kauth.kakao.com; an absolute token file moves
                                                 into ``directory/var``)
================================================ ============================================

Secrets come from the environment as in production (``environ``).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = {"khp.yml": ROOT / "khp.yml", "deploy/khp.yml": ROOT / "deploy" / "khp.yml"}
TOKEN = "shipped-receiver-token"


@dataclass(frozen=True)
class Addresses:
    """Where the test's services listen."""

    alertmanagers: Sequence[str] = ("http://127.0.0.1:9",)
    receiver: str = "http://127.0.0.1:9/alertmanager"
    kakao: str = "http://127.0.0.1:9"
    elasticsearch: str = "http://127.0.0.1:9"
    exporter: str = ""


def shipped_project(name: str, directory: Path, addresses: Addresses) -> Path:
    """The shipped ``name`` (``khp.yml`` or ``deploy/khp.yml``) with ``addresses`` in ``directory``; its path."""
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "configs" / "clusters", directory / "configs" / "clusters", dirs_exist_ok=True)
    if not (directory / "evaluator").exists():
        (directory / "evaluator").symlink_to(ROOT / "evaluator", target_is_directory=True)
    token = directory / "receiver-token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(SHIPPED[name].read_text(encoding="utf-8"))
    shipped_urls = data["alertmanager"]["urls"]
    data["alertmanager"]["urls"] = list(addresses.alertmanagers)[: len(shipped_urls)]
    data["routing"]["receiver_url"] = addresses.receiver
    data["routing"]["credentials_file"] = str(token)
    data["exporter"] = {"listen": addresses.exporter}
    if "history" in data:
        data["history"]["elasticsearch"]["hosts"] = [addresses.elasticsearch]
    channels = data.setdefault("receiver", {}).setdefault("channels", {})
    channels.setdefault("kakaowork", {})["base_url"] = addresses.kakao
    talk = channels.setdefault("kakaotalk", {})
    talk.update(base_url=addresses.kakao, auth_url=addresses.kakao)
    if Path(talk.get("token_file", "")).is_absolute():
        talk["token_file"] = str(directory / "var" / Path(talk["token_file"]).name)
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def rooms_in(config_file: Path) -> dict[str, set[str]]:
    """Every room the project names, per channel: ``{"kakaowork": {"10001", ...}, "kakaotalk": {...}}``."""
    found: dict[str, set[str]] = {}
    files = [config_file, *sorted((ROOT / "configs" / "clusters").glob("*.yml"))]
    for file in files:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        sections: list[Mapping[str, Any]] = [
            data.get("channels") or {},
            (data.get("routing") or {}).get("channels") or {},
        ]
        for section in sections:
            for rooms in section.values():
                for room in rooms:
                    channel, _, target = room.partition(":")
                    found.setdefault(channel, set()).add(target)
    return found
