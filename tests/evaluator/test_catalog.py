"""``describe_checks``: a monitor's checks read from its code, without running it."""

from __future__ import annotations

from evaluator import Monitor, describe_checks

ROLES = ("hdfs/datanode", "yarn/nodemanager")


class ExampleMonitor(Monitor):
    """A monitor with one check of each shape."""

    pending = "10m"

    def run(self) -> None:
        used = self.max("druid/overlord/taskSlot.used.count") / self.max("druid/overlord/taskSlot.total.count") * 100
        self.emit(
            "Task slot usage",
            warning=used > self.w("slots"),
            critical=used > self.c("slots"),
            description="Slots used",
            action="Look at the overlord",
        )

        leaders = self.sum("druid/coordinator/isLeader", window="2m")
        self.emit("No leader", critical=leaders < 1, description="No leader", pending="1m")

        expected = self.host_count("zookeeper/server")
        down = expected - self.running_count("zookeeper/server")
        at_risk = (down > 0) & (down >= expected / 2)
        self.emit("Quorum", warning=down > self.w("down"), critical=at_risk | (down > self.c("down")))

        lines = self.log_count("hbase/regionserver/responseToo*", period="PT30M")
        fatal = self.process_count("FATAL")
        self.emit("Logs and states", warning=(lines > self.w("lines")) | (fatal > 0), critical=None)

        heap = [self.all(f"{role}/jvm.heap_used_percent") for role in ROLES]
        self.emit("Heaps", warning=heap[0] > self.w("heap"))


def test_each_emit_is_a_check_in_source_order() -> None:
    checks = describe_checks(ExampleMonitor)

    assert [c.name for c in checks] == ["Task slot usage", "No leader", "Quorum", "Logs and states", "Heaps"]
    assert {c.monitor for c in checks} == {"ExampleMonitor"}
    assert {c.module for c in checks} == {"test_catalog"}
    first = checks[0]
    assert (first.description, first.action, first.keys) == ("Slots used", "Look at the overlord", ("slots",))
    assert [c.pending for c in checks] == ["10m", "1m", "10m", "10m", "10m"]  # the emit's, else the monitor's
    assert ExampleMonitor.run.__code__.co_firstlineno < first.line


def test_levels_show_the_condition_with_names_holding_comparisons_written_out() -> None:
    task, leader, quorum, logs, heaps = describe_checks(ExampleMonitor)

    assert [(lv.severity, lv.condition, lv.fixed) for lv in task.levels] == [
        ("warning", "used > slots", False),
        ("critical", "used > slots", False),
    ]
    assert [(lv.severity, lv.condition, lv.fixed) for lv in leader.levels] == [("critical", "leaders < 1", True)]
    assert quorum.levels[1].condition == "(down > 0) and (down >= expected / 2) or (down > down)"
    assert quorum.levels[1].keys == ("down",)
    assert [lv.severity for lv in logs.levels] == ["warning"]  # critical=None is no level
    assert logs.levels[0].condition == "(lines > lines) or (fatal > 0)"
    assert heaps.levels[0].condition == "heap[0] > heap"


def test_a_level_renders_with_the_threshold_values_given() -> None:
    task = describe_checks(ExampleMonitor)[0]
    values = {("slots", "warning"): "80", ("slots", "critical"): "90"}

    assert [lv.render(lambda key, level: values[(key, level)]) for lv in task.levels] == ["used > 80", "used > 90"]


def test_reads_follow_names_back_to_the_queries() -> None:
    task, leader, quorum, logs, heaps = describe_checks(ExampleMonitor)

    assert task.reads == ("max of `druid/overlord/taskSlot.used.count`", "max of `druid/overlord/taskSlot.total.count`")
    assert leader.reads == ("sum of `druid/coordinator/isLeader` in 2m",)
    assert quorum.reads == ("processes of `zookeeper/server`",)
    assert logs.reads == ("log lines `hbase/regionserver/responseToo*` in PT30M", "processes in state FATAL")
    assert heaps.reads == ("`<role>/jvm.heap_used_percent`",)


def test_a_monitor_without_source_has_no_described_checks() -> None:
    made = type("Made", (Monitor,), {"run": lambda self: None, "__module__": "nowhere"})

    assert describe_checks(made) == []
