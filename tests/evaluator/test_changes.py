"""``diff_problems``: new, resolved and kept problems between cycles; a failed monitor never resolves."""

from __future__ import annotations

from evaluator import Problem, diff_problems


def problem(check: str, monitor: str = "DiskMonitor", cluster: str = "alpha", severity: str = "warning") -> Problem:
    return Problem(check, monitor, cluster, None, severity, 1.0, ">", 0, "", "m.py#L1")


def test_new_and_resolved_problems() -> None:
    kept, gone, fresh = problem("Disk"), problem("Heap"), problem("Slots", cluster="beta")
    changes = diff_problems({kept.key: kept, gone.key: gone}, [kept, fresh], failed_monitors=[])
    assert changes.new == [fresh]
    assert changes.resolved == [gone]
    assert changes.kept == []
    assert changes.active == {kept.key: kept, fresh.key: fresh}


def test_problems_of_a_failed_monitor_are_kept_not_resolved() -> None:
    disk, slots = problem("Disk"), problem("Slots", monitor="DruidMonitor")
    changes = diff_problems({disk.key: disk, slots.key: slots}, [disk], failed_monitors=["DruidMonitor"])
    assert changes.resolved == []
    assert changes.kept == [slots]
    assert changes.new == []
    assert set(changes.active) == {disk.key, slots.key}


def test_a_severity_change_is_a_new_problem_and_a_resolved_one() -> None:
    warning, critical = problem("Disk"), problem("Disk", severity="critical")
    changes = diff_problems({warning.key: warning}, [critical], failed_monitors=[])
    assert (changes.new, changes.resolved) == ([critical], [warning])
