"""The scheduling figures bench/receiver.py prints beside each accept run, read from Linux's /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.receiver import _process_tree, idle_share, scheduling

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")


def test_the_process_tree_holds_children_and_grandchildren() -> None:
    script = (
        "import subprocess, sys, time;"
        " p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']);"
        " print(p.pid, flush=True); time.sleep(30)"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            grandchild = int(child.stdout.readline())
            assert set(_process_tree(os.getpid())) >= {os.getpid(), child.pid, grandchild}
        finally:
            for pid in _process_tree(child.pid)[::-1]:
                os.kill(pid, 9)


def test_a_process_that_is_gone_has_no_tree() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert _process_tree(gone.pid) == []
    assert scheduling(gone.pid) == (0, 0)


def test_cpu_time_counts_what_the_threads_ran() -> None:
    ran_before, _ = scheduling(os.getpid())
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    ran_after, waited = scheduling(os.getpid())
    assert ran_after - ran_before >= 150_000_000  # ns: the 0.2 s of CPU just spent, give or take the clock's tick
    assert waited >= 0


def test_the_idle_share_is_a_part_of_all_time() -> None:
    idle, everything = idle_share()
    assert 0 < idle < everything
