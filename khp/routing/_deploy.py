"""Putting a rendered ``alertmanager.yml`` in force: checked, written, reloaded on every Alertmanager.

The one part of ``khp.routing`` that does I/O, shared by ``khp alertmanager-config`` and the
console's room edits::

    deployed = deploy(render_alertmanager_yaml(config), Path("deploy/alertmanager.yml"), config.alertmanager.urls)
    deployed.failed   # {url: why} of the Alertmanagers that did not reload

``amtool check-config`` runs on a copy beside the target first; a rejected config raises
``RoutingRejected`` with amtool's words and leaves the target as it was. Then the target is
replaced atomically and ``POST /-/reload`` goes to every Alertmanager (an HA pair does not
share its configuration): one that is down or refuses is reported, not hidden.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

AMTOOL = "amtool"
CHECK_TIMEOUT = 60.0


class RoutingRejected(Exception):
    """amtool rejected the rendered configuration; the file in force is unchanged."""


@dataclass(frozen=True)
class Checked:
    """What ``amtool check-config`` said: ``ok`` None when amtool is not installed."""

    ok: bool | None
    output: str


@dataclass(frozen=True)
class Deployed:
    """The outcome of ``deploy``: the file written, whether amtool checked it, each Alertmanager's reload."""

    path: Path
    checked: bool
    reloaded: tuple[str, ...] = ()
    failed: dict[str, str] = field(default_factory=dict)


def check_config(path: Path, amtool: str = AMTOOL, shown_as: Path | None = None) -> Checked:
    """Run ``amtool check-config path``; its verdict and output (``path`` shown as ``shown_as``)."""
    program = shutil.which(amtool)
    if program is None:
        return Checked(None, f"{amtool} not found, not checked (Debian package 'prometheus-alertmanager' installs it)")
    try:
        done = subprocess.run(
            [program, "check-config", str(path)], capture_output=True, text=True, timeout=CHECK_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return Checked(False, f"{program} check-config took over {CHECK_TIMEOUT:g}s")
    output = (done.stdout + done.stderr).strip()
    if shown_as is not None:
        output = output.replace(str(path), str(shown_as))
    return Checked(done.returncode == 0, output)


def write_checked(target: Path, text: str, amtool: str = AMTOOL, check: bool = True) -> Checked:
    """Write ``text`` beside ``target``, check it, rename it over; ``RoutingRejected`` leaves ``target`` alone."""
    descriptor, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    candidate = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        # Alertmanager runs as its own user and the file holds no secrets: keep the old mode, else 0644.
        os.chmod(candidate, target.stat().st_mode & 0o7777 if target.exists() else 0o644)
        checked = check_config(candidate, amtool, shown_as=target) if check else Checked(None, "not checked")
        if checked.ok is False:
            raise RoutingRejected(f"amtool check-config rejected it:\n{checked.output}")
        os.replace(candidate, target)
    finally:
        candidate.unlink(missing_ok=True)
    return checked


def reload_all(
    urls: Sequence[str], session: requests.Session | None = None, timeout: float = 10.0
) -> tuple[tuple[str, ...], dict[str, str]]:
    """``POST /-/reload`` on every Alertmanager: the URLs that reloaded, and why the others did not."""
    http = session or requests.Session()
    reloaded: list[str] = []
    failed: dict[str, str] = {}
    for url in dict.fromkeys(u.rstrip("/") for u in urls):
        try:
            answer = http.post(f"{url}/-/reload", timeout=timeout)
        except requests.Timeout:
            failed[url] = f"no answer within {timeout:g}s"
            continue
        except requests.RequestException as exc:
            failed[url] = f"cannot connect ({type(exc).__name__})"
            continue
        if answer.status_code == 200:
            reloaded.append(url)
        else:
            failed[url] = f"HTTP {answer.status_code}: {answer.text.strip()[:300] or 'no reason given'}"
    return tuple(reloaded), failed


def deploy(
    text: str,
    target: Path,
    urls: Sequence[str],
    *,
    session: requests.Session | None = None,
    timeout: float = 10.0,
    amtool: str = AMTOOL,
) -> Deployed:
    """Check and write ``text`` to ``target``, then reload every Alertmanager of ``urls``."""
    checked = write_checked(target, text, amtool)
    reloaded, failed = reload_all(urls, session, timeout)
    return Deployed(target, checked.ok is True, reloaded, failed)
