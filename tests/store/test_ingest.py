"""The ``khp load`` format (DESIGN §3): JSON lines, all or nothing, bad lines named by number."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from khp.records import LogRow, MetricRow, ProcessState
from khp.store import KINDS, IngestError, Store, StoreError, parse_lines

AT = 1795946400.0  # 2026-11-29T10:00:00Z

DESIGN_METRIC = (
    '{"time": "2026-11-29T10:00:00Z", "cluster": "alpha", "host": "a-dn1", "service": "hdfs", "role": "datanode",'
    ' "name": "disk.used_percent", "value": 71.5}'
)
DESIGN_LOG = (
    '{"time": 1795946400, "cluster": "alpha", "host": "a-rs1", "service": "hbase", "role": "regionserver",'
    ' "level": "WARN", "message": "(responseTooSlow): {...}"}'
)
DESIGN_PROCESS = (
    '{"time": 1795946400, "cluster": "alpha", "host": "a-dn1", "name": "hdfs-datanode", "statename": "FATAL",'
    ' "spawnerr": "Exited too quickly"}'
)


def metric_line(**changes: object) -> str:
    fields: dict[str, object] = {
        "time": AT,
        "cluster": "alpha",
        "host": "a-dn1",
        "service": "hdfs",
        "role": "datanode",
        "name": "disk.used_percent",
        "value": 1.0,
    }
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not ...})


def write(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_the_design_examples_parse() -> None:
    assert parse_lines("metrics", [DESIGN_METRIC]) == [
        MetricRow(AT, "alpha", "a-dn1", "hdfs", "datanode", "disk.used_percent", 71.5)
    ]
    assert parse_lines("logs", [DESIGN_LOG]) == [
        LogRow(AT, "alpha", "a-rs1", "hbase", "regionserver", "WARN", "(responseTooSlow): {...}")
    ]
    (process,) = parse_lines("processes", [DESIGN_PROCESS])
    assert process == ProcessState(
        time=AT, cluster="alpha", host="a-dn1", name="hdfs-datanode", statename="FATAL", spawnerr="Exited too quickly"
    )
    assert (process.state, process.group, process.running) == (200, "hdfs-datanode", False)


def test_the_design_examples_load_into_the_store(store: Store, tmp_path: Path) -> None:
    assert store.load_file("metrics", write(tmp_path / "m.jsonl", DESIGN_METRIC)) == 1
    assert store.load_file("logs", write(tmp_path / "l.jsonl", DESIGN_LOG)) == 1
    assert store.load_file("processes", write(tmp_path / "p.jsonl", DESIGN_PROCESS)) == 1
    assert store.counts() == {"metrics": 1, "logs": 1, "processes": 1}
    assert store.latest_values("hdfs", "datanode", "disk.used_percent", AT - 600, AT) == [("alpha", "a-dn1", 71.5)]


@pytest.mark.parametrize(
    "time",
    [
        "2026-11-29T10:00:00Z",
        "2026-11-29T10:00:00",
        "2026-11-29T19:00:00+09:00",
        1795946400,
        1795946400.0,
        "1795946400",
    ],
)
def test_time_is_iso_8601_or_epoch_seconds(time: object) -> None:
    (row,) = parse_lines("metrics", [metric_line(time=time)])
    assert row.time == AT


def test_fractional_times_are_kept() -> None:
    (row,) = parse_lines("metrics", [metric_line(time="2026-11-29T10:00:00.250Z")])
    assert row.time == AT + 0.25


def test_blank_lines_are_skipped_but_counted() -> None:
    with pytest.raises(IngestError) as caught:
        parse_lines("metrics", [metric_line(), "", "   ", "{oops"], "m.jsonl")
    assert caught.value.line == 4


def test_log_level_defaults_to_info() -> None:
    (row,) = parse_lines(
        "logs", ['{"time": 0, "cluster": "a", "host": "h", "service": "s", "role": "r", "message": "m"}']
    )
    assert row.level == "INFO"


def test_process_lines_take_supervisors_fields() -> None:
    line = json.dumps(
        {
            "time": AT,
            "cluster": "alpha",
            "host": "a-dn1",
            "name": "hdfs-datanode",
            "group": "hdfs",
            "statename": "RUNNING",
            "state": 20,
            "start": AT - 60,
            "stop": 0,
            "now": AT,
            "pid": 4242,
            "exitstatus": 0,
            "spawnerr": "",
            "description": "pid 4242, uptime 0:01:00",
            "logfile": "/var/log/x",
            "stdout_logfile": "/var/log/x",
            "stderr_logfile": "",
        }
    )
    (row,) = parse_lines("processes", [line])
    assert (row.group, row.state, row.start, row.pid, row.description) == (
        "hdfs",
        20,
        AT - 60,
        4242,
        "pid 4242, uptime 0:01:00",
    )
    assert row.running


@pytest.mark.parametrize(
    ("kind", "line", "fragment"),
    [
        ("metrics", "{oops", "not JSON"),
        ("metrics", "[1, 2]", "expected a JSON object, got list"),
        ("metrics", '"text"', "expected a JSON object, got str"),
        (
            "metrics",
            metric_line(colour="red"),
            "unknown field 'colour'; allowed: time, cluster, host, service, role, name, value",
        ),
        ("metrics", metric_line(time=...), "field 'time' is missing"),
        ("metrics", metric_line(time="yesterday"), "field 'time'"),
        ("metrics", metric_line(time=True), "field 'time' must be ISO-8601 or epoch seconds"),
        ("metrics", metric_line(time=None), "field 'time' must be ISO-8601 or epoch seconds"),
        ("metrics", metric_line(cluster=...), "field 'cluster' must be a non-empty string"),
        ("metrics", metric_line(host=""), "field 'host' must be a non-empty string"),
        ("metrics", metric_line(name=5), "field 'name' must be a non-empty string"),
        ("metrics", metric_line(value="71.5"), "field 'value' must be a finite number"),
        ("metrics", metric_line(value=True), "field 'value' must be a finite number"),
        ("metrics", metric_line(value=...), "field 'value' must be a finite number"),
        ("metrics", metric_line(value=float("nan")), "field 'value' must be a finite number"),
        ("metrics", metric_line(value=float("inf")), "field 'value' must be a finite number"),
        ("logs", '{"time": 0, "cluster": "a", "host": "h", "service": "s", "role": "r"}', "field 'message'"),
        (
            "logs",
            '{"time": 0, "cluster": "a", "host": "h", "service": "s", "role": "r", "message": "m", "x": 1}',
            "unknown field 'x'",
        ),
        (
            "processes",
            '{"time": 0, "cluster": "a", "host": "h", "name": "p", "statename": "DEAD"}',
            "field 'statename' must be one of STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, EXITED, FATAL, UNKNOWN",
        ),
        (
            "processes",
            '{"time": 0, "cluster": "a", "host": "h", "name": "p", "statename": "running"}',
            "field 'statename' must be one of",
        ),
        ("processes", '{"time": 0, "cluster": "a", "host": "h", "name": "p"}', "field 'statename'"),
        (
            "processes",
            '{"time": 0, "cluster": "a", "host": "h", "name": "p", "statename": "FATAL", "pid": "x"}',
            "field 'pid' must be a whole number",
        ),
    ],
)
def test_a_bad_line_is_named_by_file_and_number(kind: str, line: str, fragment: str) -> None:
    good = {
        "metrics": metric_line(),
        "logs": DESIGN_LOG,
        "processes": DESIGN_PROCESS,
    }[kind]
    with pytest.raises(IngestError) as caught:
        parse_lines(kind, [good, good, line, good], "data.jsonl")
    error = caught.value
    assert (error.file, error.line) == ("data.jsonl", 3)
    assert fragment in error.problem
    assert str(error).startswith("data.jsonl:3: ")
    assert str(error).endswith("; nothing from data.jsonl was loaded")


def test_a_bad_file_loads_nothing(store: Store, tmp_path: Path) -> None:
    store.load_file("metrics", write(tmp_path / "first.jsonl", metric_line(value=1.0)))
    before = store.counts()
    bad = write(
        tmp_path / "bad.jsonl",
        metric_line(value=2.0, time=AT + 10),
        metric_line(host="a-dn2", value=3.0),
        metric_line(value="lots"),
        metric_line(host="a-dn3", value=4.0),
    )
    with pytest.raises(IngestError) as caught:
        store.load_file("metrics", bad)
    assert caught.value.line == 3
    assert caught.value.file == str(bad)
    assert f"{bad}:3:" in str(caught.value)
    assert store.counts() == before
    assert store.latest_values("hdfs", "datanode", "disk.used_percent", AT - 600, AT + 600) == [("alpha", "a-dn1", 1.0)]
    assert store.metric_paths() == ["hdfs/datanode/disk.used_percent"]


def test_a_bad_process_file_loads_nothing(store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path / "p.jsonl", DESIGN_PROCESS, DESIGN_PROCESS.replace("FATAL", "WEIRD"))
    with pytest.raises(IngestError, match=r"p\.jsonl:2: field 'statename'"):
        store.load_file("processes", bad)
    assert store.counts() == {"metrics": 0, "logs": 0, "processes": 0}
    assert store.process_inventory(0, AT + 1) == []


def test_ingest_error_is_a_store_error() -> None:
    assert issubclass(IngestError, StoreError)


def test_an_unknown_kind_lists_the_kinds() -> None:
    assert KINDS == ("metrics", "logs", "processes")
    with pytest.raises(ValueError, match="unknown kind 'events'; choose one of metrics, logs, processes"):
        parse_lines("events", [])


def test_loading_the_same_metrics_twice_keeps_one_point_per_host_and_time(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "m.jsonl", metric_line(value=1.0), metric_line(value=2.0))
    assert store.load_file("metrics", path) == 2
    store.load_file("metrics", path)
    assert store.counts()["metrics"] == 1
    assert store.latest_values("hdfs", "datanode", "disk.used_percent", AT - 1, AT) == [("alpha", "a-dn1", 2.0)]


def test_a_missing_file_is_a_store_error_naming_it(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        store.load_file("metrics", tmp_path / "nope.jsonl")
    assert (
        str(caught.value)
        == f"{tmp_path / 'nope.jsonl'}: cannot read it: No such file or directory; nothing from it was loaded"
    )


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        (metric_line(time="nan"), "field 'time': 'nan' is not a time (not a finite number)"),
        (metric_line(time=1795946400000), "looks like epoch milliseconds (2026-11-29T10:00:00Z); divide by 1000"),
        (metric_line(time="99999999999999999999"), "outside the times khp accepts, 1970 to 2200"),
        (metric_line().replace('"time": 1795946400.0', '"time": 1e999'), "not a finite number"),
        (metric_line(value=1e301), "field 'value' must be a finite number, got 1e+301"),
        (metric_line().replace('"value": 1.0', '"value": ' + "9" * 400), "field 'value' must be a finite number"),
        (metric_line().replace('"value": 1.0', '"value": NaN'), "field 'value' must be a finite number, got nan"),
        (metric_line().replace('"value": 1.0', '"value": ' + "9" * 5000), "not JSON that khp can read"),
        (metric_line(host="a\ud800b"), "field 'host' holds '\\ud800', half of a UTF-16 surrogate pair"),
        ("[" * 100_000 + "]" * 100_000, "not JSON that khp can read"),
    ],
)
def test_values_no_store_can_hold_are_bad_lines(line: str, fragment: str) -> None:
    with pytest.raises(IngestError) as caught:
        parse_lines("metrics", [metric_line(), line], "data.jsonl")
    assert caught.value.line == 2
    assert fragment in caught.value.problem


@pytest.mark.parametrize(
    ("field", "value", "ok"),
    [("pid", 20.0, True), ("pid", 20.5, False), ("pid", 2**70, False), ("exitstatus", "1", False), ("state", -5, True)],
)
def test_whole_number_fields_of_a_process_state(field: str, value: object, ok: bool) -> None:
    fields = json.loads(DESIGN_PROCESS) | {field: value}
    if ok:
        (process,) = parse_lines("processes", [json.dumps(fields)])
        assert getattr(process, field) == int(value)  # type: ignore[call-overload]
        return
    with pytest.raises(IngestError, match=f"field '{field}' must be a whole number"):
        parse_lines("processes", [json.dumps(fields)])


def test_bytes_that_are_not_utf8_name_their_line_and_column() -> None:
    lines = [metric_line().encode(), b'{"time": 1795946400, "host": "caf\xe9"}\n']
    with pytest.raises(IngestError) as caught:
        parse_lines("metrics", lines, "latin1.jsonl")
    assert str(caught.value) == (
        "latin1.jsonl:2: not UTF-8 text (byte 0xe9 at column 34); nothing from latin1.jsonl was loaded"
    )


def test_a_file_with_a_bad_line_after_many_batches_loads_nothing(store: Store, tmp_path: Path) -> None:
    store.load_file("metrics", write(tmp_path / "before.jsonl", metric_line(value=7.0)))
    lines = [metric_line(host=f"h{i}", time=AT - i) for i in range(12_000)]
    big = write(tmp_path / "big.jsonl", *lines, '{"time": "later"}')
    with pytest.raises(IngestError) as caught:
        store.load_file("metrics", big)
    assert caught.value.line == 12_001
    assert store.counts()["metrics"] == 1
    assert store.latest_values("hdfs", "datanode", "disk.used_percent", AT - 60, AT) == [("alpha", "a-dn1", 7.0)]
    assert store.load_file("metrics", write(tmp_path / "good.jsonl", *lines)) == 12_000  # the series ids are fresh
    assert store.counts()["metrics"] == 12_001
    assert len(store.latest_values("hdfs", "datanode", "disk.used_percent", AT - 20_000, AT)) == 12_001


def test_standard_input_is_read_as_a_file(store: Store) -> None:
    import io

    stream = io.BytesIO((DESIGN_METRIC + "\n" + metric_line(host="a-dn2") + "\n").encode())
    assert store.load_file("metrics", "-", stdin=stream) == 2
    bad = io.BytesIO(b"{}\n")
    with pytest.raises(IngestError) as caught:
        store.load_file("metrics", "-", stdin=bad)
    assert str(caught.value).startswith("<stdin>:1: field 'time' is missing")
