"""Starting, probing and stopping a server binary for tests; shared by the real-part helpers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path


def launch(command: Sequence[str], log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output appended to ``log_path`` (after the command line itself)."""
    with open(log_path, "ab") as log:
        log.write(f"$ {' '.join(command)}\n".encode())
        log.flush()
        return subprocess.Popen(list(command), stdout=log, stderr=subprocess.STDOUT, cwd=cwd)


def wait_ready(process: subprocess.Popen[bytes] | None, url: str, wait: float) -> bool:
    """Poll ``url`` until it answers 200; False when the process ended or ``wait`` passed."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process is None or process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.05)
    return False


def terminate(process: subprocess.Popen[bytes] | None) -> None:
    """SIGTERM and wait; SIGKILL if it does not end within 10 seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def stalled(pids: Sequence[int]) -> Iterator[None]:
    """``pids`` stopped (SIGSTOP) for the block, continued (SIGCONT) after: a hung process, or one cut off
    without a reset; its listening sockets still take connections, which wait unanswered."""
    stopped = []
    try:
        for pid in pids:
            os.kill(pid, signal.SIGSTOP)
            stopped.append(pid)
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
