"""A real ``supervisord`` (PyPI ``supervisor``) in the foreground on a free loopback port.

Usage::

    programs = [Program("hdfs-datanode", "sleep 3600"), Program("yarn-nodemanager", "false", startretries=0)]
    with Supervisord(tmp_path / "a-dn1", programs) as supervisor:
        supervisor.wait_for("yarn-nodemanager", "FATAL")
        supervisor.address  # '127.0.0.1:PORT', for sources.processes.addresses

It writes ``supervisord.conf`` with ``[inet_http_server]`` (username and password),
``[rpcinterface:supervisor]`` and ``[supervisorctl]``, starts ``supervisord -n``, waits until its
XML-RPC answers, and on leaving stops it and its programs. Tests are skipped, naming the
package, when PyPI's ``supervisor`` is not installed in this Python.
"""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
import time
import uuid
import xmlrpc.client
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

MISSING = (
    None
    if importlib.util.find_spec("supervisor") is not None
    else "supervisor is not installed in this Python (PyPI package 'supervisor': pip install supervisor)"
)


@dataclass(frozen=True)
class Program:
    """One ``[program:x]`` section; ``command`` is run without a shell, as Supervisor does."""

    name: str
    command: str
    startsecs: int = 1
    startretries: int = 3
    autorestart: str = "false"
    autostart: bool = True

    def section(self, logs: Path) -> str:
        return (
            f"[program:{self.name}]\n"
            f"command={self.command}\n"
            f"autostart={str(self.autostart).lower()}\n"
            f"autorestart={self.autorestart}\n"
            f"startsecs={self.startsecs}\n"
            f"startretries={self.startretries}\n"
            "stopasgroup=true\nkillasgroup=true\nstopwaitsecs=5\n"
            f"stdout_logfile={logs / self.name}.out\n"
            f"stderr_logfile={logs / self.name}.err\n"
        )


class Supervisord:
    """A ``supervisord`` with ``programs``, its files in ``directory``, listening on ``127.0.0.1``."""

    def __init__(
        self,
        directory: Path,
        programs: Iterable[Program],
        username: str = "khp",
        password: str = "s3cret",
        rpcinterface: bool = True,
    ) -> None:
        self.directory = Path(directory)
        self.programs = list(programs)
        self.username = username
        self.password = password
        self.rpcinterface = rpcinterface
        self.identifier = f"khp-test-{uuid.uuid4().hex[:12]}"  # tells this supervisord from any other on the port
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        """``127.0.0.1:PORT``: what a host name is mapped to in the source's ``addresses``."""
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/RPC2"

    @property
    def log(self) -> str:
        """supervisord's own log and its console output, for failure messages."""
        texts = [
            path.read_text(errors="replace")
            for path in (self.directory / "supervisord.log", self.directory / "console.log")
            if path.exists()
        ]
        return "\n".join(texts)[-4000:]

    def __enter__(self) -> Supervisord:
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Write the config and start supervisord; ``wait_ready`` waits until it answers."""
        if MISSING:
            pytest.skip(MISSING)
        (self.directory / "logs").mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config = self.directory / "supervisord.conf"
        config.write_text(self._config())
        console = open(self.directory / "console.log", "ab")  # noqa: SIM115 (the child keeps it)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supervisor.supervisord", "-n", "-c", str(config)],
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
            )
        finally:
            console.close()

    def wait_ready(self, timeout: float = 20.0) -> None:
        """Wait until this supervisord answers RUNNING; restart it on another port if that one was taken.

        Another program may answer on the port while this one fails to bind it, so the answer
        must carry this supervisord's identifier.
        """
        deadline = time.monotonic() + timeout
        attempts = 0
        while True:
            assert self.process is not None, "start() first"
            if self.process.poll() is not None:
                attempts += 1
                if "already listening" in self.log and attempts < 3:
                    self.start()
                    continue
                raise RuntimeError(f"supervisord exited with {self.process.returncode}:\n{self.log}")
            try:
                if self._answers():
                    return
            except (OSError, xmlrpc.client.Error):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"supervisord did not answer on {self.url} within {timeout:g}s:\n{self.log}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        if not self.rpcinterface:  # nothing to call: it logs this line once its port is bound
            assert self.process is not None
            log = self.directory / "supervisord.log"
            return log.exists() and f"supervisord started with pid {self.process.pid}" in log.read_text()
        ours = self.call("supervisor.getIdentification") == self.identifier
        return ours and self.call("supervisor.getState")["statename"] == "RUNNING"

    def terminate(self) -> None:
        """Ask supervisord to stop, without waiting: to stop several at once, terminate each, then ``stop``."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self, timeout: float = 20.0) -> None:
        """Stop supervisord (it stops its programs first); kill it if it takes longer than ``timeout``."""
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def call(self, method: str, *args: Any) -> Any:
        """Call ``method`` over XML-RPC with the right credentials."""
        url = f"http://{self.username}:{self.password}@{self.address}/RPC2"
        with xmlrpc.client.ServerProxy(url, transport=_Transport()) as proxy:
            return getattr(proxy, method)(*args)

    def info(self, name: str) -> dict[str, Any]:
        return self.call("supervisor.getProcessInfo", name)

    def wait_for(self, name: str, *statenames: str, timeout: float = 30.0) -> dict[str, Any]:
        """Wait until program ``name`` is in one of ``statenames``; return its process info."""
        deadline = time.monotonic() + timeout
        while True:
            info = self.info(name)
            if info["statename"] in statenames:
                return info
            if time.monotonic() > deadline:
                raise AssertionError(f"{name} stayed {info['statename']}, not {'/'.join(statenames)}: {info}")
            time.sleep(0.05)

    def _config(self) -> str:
        directory = self.directory
        auth = f"username={self.username}\npassword={self.password}\n"
        rpc = (
            "[rpcinterface:supervisor]\n"
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n"
            if self.rpcinterface
            else ""
        )
        return (
            f"[supervisord]\nnodaemon=true\nloglevel=info\nidentifier={self.identifier}\n"
            f"logfile={directory / 'supervisord.log'}\npidfile={directory / 'supervisord.pid'}\n"
            f"childlogdir={directory / 'logs'}\n\n"
            f"[inet_http_server]\nport={self.address}\n{auth}\n"
            f"{rpc}"
            f"[supervisorctl]\nserverurl=http://{self.address}\n{auth}\n"
            + "\n".join(program.section(directory / "logs") for program in self.programs)
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Transport(xmlrpc.client.Transport):
    """The stdlib transport, but giving up after a few seconds instead of never."""

    def make_connection(self, host: Any) -> Any:
        connection = super().make_connection(host)
        connection.timeout = 5.0
        return connection
