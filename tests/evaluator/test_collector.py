"""The cyclic garbage collector is paused while a cycle runs and resumed after it."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from evaluator import Evaluator, Monitor
from evaluator._collector import collector_paused
from evaluator.testing import build_config
from khp.sources import Sources

from .test_evaluator import sources  # noqa: F401 (the fixture)


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


SEEN: list[bool] = []


class Watching(Monitor):
    """Notes whether the collector runs while it does."""

    def run(self) -> None:
        SEEN.append(gc.isenabled())


def test_a_cycle_runs_with_the_collector_paused_and_resumes_it(sources: Sources) -> None:  # noqa: F811
    SEEN.clear()
    with Evaluator(build_config(), sources, [Watching]) as evaluator:
        evaluator.cycle()
        assert SEEN == [False]
        assert gc.isenabled()
        evaluator.cycle()
    assert SEEN == [False, False]
    assert gc.isenabled()


class Failing(Monitor):
    def run(self) -> None:
        raise RuntimeError("boom")


def test_the_collector_is_resumed_after_a_cycle_whose_monitor_fails(sources: Sources) -> None:  # noqa: F811
    with Evaluator(build_config(), sources, [Failing]) as evaluator:
        result = evaluator.cycle()
    assert result.record.failed == ["Failing"]
    assert gc.isenabled()


def test_overlapping_cycles_resume_it_when_the_last_one_ends() -> None:
    first_in, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def first() -> None:
        with collector_paused():
            first_in.set()
            release.wait(30)
            seen.append(gc.isenabled())

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(30)
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the first one still runs
    release.set()
    thread.join(30)
    assert seen == [False]
    assert gc.isenabled()


def test_a_collector_turned_off_by_the_program_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
