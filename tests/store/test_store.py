"""The embedded store: latest values in a window, aggregates, logs, processes, prune, WAL, several processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from khp.records import LogRow, MetricRow, ProcessState
from khp.store import AGGREGATES, CycleLog, Store, StoreError

AT = 1795946400.0  # 2026-11-29T10:00:00Z
START = AT - 600


def point(
    value: float, ago: float = 60, cluster: str = "alpha", host: str = "h1", name: str = "disk.used"
) -> MetricRow:
    return MetricRow(AT - ago, cluster, host, "hdfs", "datanode", name, value)


def test_latest_values_take_each_hosts_latest_point_in_start_end(store: Store) -> None:
    store.write_metrics(
        [
            point(1, ago=900, host="h1"),  # before the window: ignored
            point(2, ago=300, host="h1"),
            point(3, ago=60, host="h1"),  # h1's latest
            point(9, ago=900, host="h2"),  # h2 only before the window: absent
            point(4, ago=0, host="h3"),  # exactly at the end: included
            point(5, ago=120, host="h4"),
            point(6, ago=-1, host="h4"),  # after the end: excluded
            point(7, ago=60, host="h1", cluster="beta"),
        ]
    )
    assert store.latest_values("hdfs", "datanode", "disk.used", START, AT) == [
        ("alpha", "h1", 3.0),
        ("alpha", "h3", 4.0),
        ("alpha", "h4", 5.0),
        ("beta", "h1", 7.0),
    ]


def test_latest_values_of_another_path_or_time_are_separate(store: Store) -> None:
    store.write_metrics([point(1, name="disk.used"), point(2, name="disk.free"), point(3, ago=7200)])
    assert store.latest_values("hdfs", "datanode", "disk.free", START, AT) == [("alpha", "h1", 2.0)]
    assert store.latest_values("hdfs", "namenode", "disk.used", START, AT) == []
    assert store.latest_values("hdfs", "datanode", "disk.used", AT - 7800, AT - 7000) == [("alpha", "h1", 3.0)]


def test_aggregates_run_over_the_hosts_latest_values(store: Store) -> None:
    store.write_metrics(
        [
            point(1000, ago=300, host="h1"),  # older than h1's latest: not part of any aggregate
            point(10, ago=60, host="h1"),
            point(20, ago=60, host="h2"),
            point(30, ago=60, host="h3"),
            point(5, ago=60, host="h1", cluster="beta"),
        ]
    )
    expected = {
        "max": [("alpha", 30.0), ("beta", 5.0)],
        "min": [("alpha", 10.0), ("beta", 5.0)],
        "sum": [("alpha", 60.0), ("beta", 5.0)],
        "avg": [("alpha", 20.0), ("beta", 5.0)],
        "count": [("alpha", 3), ("beta", 1)],
    }
    assert set(AGGREGATES) == set(expected)
    for aggregate, rows in expected.items():
        assert store.aggregate_values(aggregate, "hdfs", "datanode", "disk.used", START, AT) == rows, aggregate


def test_clusters_limit_every_query(store: Store) -> None:
    store.write_metrics([point(1, cluster="alpha"), point(2, cluster="beta"), point(3, cluster="gamma")])
    store.write_logs([LogRow(AT - 60, c, "h1", "hbase", "regionserver", "WARN", "boom") for c in ("alpha", "beta")])
    store.write_processes([ProcessState(AT - 60, c, "h1", "hdfs-datanode", "RUNNING") for c in ("alpha", "beta")])
    assert store.latest_values("hdfs", "datanode", "disk.used", START, AT, ["alpha", "gamma"]) == [
        ("alpha", "h1", 1.0),
        ("gamma", "h1", 3.0),
    ]
    assert store.aggregate_values("max", "hdfs", "datanode", "disk.used", START, AT, ["beta"]) == [("beta", 2.0)]
    assert store.latest_values("hdfs", "datanode", "disk.used", START, AT, []) == []
    assert store.log_counts("hbase", "regionserver", "boom", START, AT, True, ["beta"]) == [("beta", "h1", 1)]
    assert [p.cluster for p in store.process_states(START, AT, ["beta"])] == ["beta"]
    assert store.process_inventory(START, AT, ["alpha"]) == [("alpha", "h1", "hdfs-datanode")]


def test_log_counts_per_host_or_cluster_in_the_period(store: Store) -> None:
    store.write_logs(
        [
            LogRow(AT - 60, "alpha", "rs1", "hbase", "regionserver", "WARN", "ipc.RpcServer: (responseTooSlow): {}"),
            LogRow(AT - 120, "alpha", "rs1", "hbase", "regionserver", "WARN", "(responseTooLarge)"),
            LogRow(AT - 60, "alpha", "rs2", "hbase", "regionserver", "WARN", "(ResponseTooSlow)"),
            LogRow(AT - 60, "alpha", "rs2", "hbase", "regionserver", "INFO", "all fine"),
            LogRow(AT - 900, "alpha", "rs1", "hbase", "regionserver", "WARN", "(responseTooSlow)"),  # too old
            LogRow(AT + 1, "alpha", "rs1", "hbase", "regionserver", "WARN", "(responseTooSlow)"),  # after the end
            LogRow(AT, "beta", "rs1", "hbase", "regionserver", "WARN", "(responseTooSlow)"),  # at the end
            LogRow(AT - 60, "alpha", "m1", "hbase", "master", "WARN", "(responseTooSlow)"),  # another role
        ]
    )
    assert store.log_counts("hbase", "regionserver", "responseToo*", START, AT) == [
        ("alpha", "rs1", 2),
        ("alpha", "rs2", 1),
        ("beta", "rs1", 1),
    ]
    assert store.log_counts("hbase", "regionserver", "responseToo*", START, AT, by_host=False) == [
        ("alpha", None, 3),
        ("beta", None, 1),
    ]
    assert store.log_counts("hbase", "regionserver", "", START, AT) == []


def test_process_states_keep_each_processes_latest_state(store: Store) -> None:
    store.write_processes(
        [
            ProcessState(AT - 300, "alpha", "h1", "hdfs-datanode", "FATAL", spawnerr="Exited too quickly"),
            ProcessState(AT - 60, "alpha", "h1", "hdfs-datanode", "RUNNING", pid=42),
            ProcessState(AT - 60, "alpha", "h1", "yarn-nodemanager", "BACKOFF"),
            ProcessState(AT - 7200, "alpha", "h2", "hdfs-datanode", "RUNNING"),  # seen, but not in the window
        ]
    )
    states = store.process_states(START, AT)
    assert [(p.host, p.name, p.statename, p.state, p.pid, p.time) for p in states] == [
        ("h1", "hdfs-datanode", "RUNNING", 20, 42, AT - 60),
        ("h1", "yarn-nodemanager", "BACKOFF", 30, 0, AT - 60),
    ]
    assert store.process_inventory(AT - 86400, AT) == [
        ("alpha", "h1", "hdfs-datanode"),
        ("alpha", "h1", "yarn-nodemanager"),
        ("alpha", "h2", "hdfs-datanode"),
    ]
    assert store.process_inventory(START, AT) == [("alpha", "h1", "hdfs-datanode"), ("alpha", "h1", "yarn-nodemanager")]


def test_metric_paths_are_every_stored_path_sorted(store: Store) -> None:
    store.write_metrics(
        [
            MetricRow(AT, "alpha", "t1", "kudu", "tserver", "server.tablets_num_running", 1),
            MetricRow(AT, "beta", "t1", "kudu", "tserver", "server.tablets_num_running", 1),
            MetricRow(AT, "alpha", "o1", "druid", "overlord", "taskSlot.used.count", 1),
            MetricRow(AT, "alpha", "o1", "druid", "overlord", "taskSlot.total.count", 1),
        ]
    )
    assert store.metric_paths() == [
        "druid/overlord/taskSlot.total.count",
        "druid/overlord/taskSlot.used.count",
        "kudu/tserver/server.tablets_num_running",
    ]


def test_prune_deletes_what_is_older_than_the_retention(store: Store) -> None:
    retention = 7 * 86400
    old, new = AT - retention - 60, AT - 60
    store.write_metrics([point(1, ago=AT - old), point(2, ago=AT - new)])
    store.write_logs([LogRow(t, "alpha", "h1", "hbase", "master", "WARN", "x") for t in (old, new)])
    store.write_processes(
        [ProcessState(old, "alpha", "h1", "a-old", "RUNNING"), ProcessState(new, "alpha", "h1", "a-new", "RUNNING")]
    )
    assert store.prune(AT - retention) == {"metrics": 1, "logs": 1, "processes": 1}
    assert store.counts() == {"metrics": 1, "logs": 1, "processes": 1}
    assert store.latest_values("hdfs", "datanode", "disk.used", 0, AT) == [("alpha", "h1", 2.0)]
    assert store.process_inventory(0, AT) == [("alpha", "h1", "a-new")]
    assert store.prune(AT - retention) == {"metrics": 0, "logs": 0, "processes": 0}


def test_the_store_file_is_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    Store(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_store_creates_its_directory(tmp_path: Path) -> None:
    store = Store(tmp_path / "var" / "deep" / "khp.db")
    store.write_metrics([point(1)])
    assert (tmp_path / "var" / "deep" / "khp.db").is_file()
    store.close()


def test_a_store_that_cannot_be_created_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(StoreError, match="cannot create the store"):
        Store(tmp_path / "file" / "khp.db")


def test_a_store_reopened_sees_the_data(tmp_path: Path) -> None:
    first = Store(tmp_path / "khp.db")
    first.write_metrics([point(1)])
    first.close()
    second = Store(tmp_path / "khp.db")
    second.write_metrics([point(2, host="h2")])
    assert second.latest_values("hdfs", "datanode", "disk.used", START, AT) == [
        ("alpha", "h1", 1.0),
        ("alpha", "h2", 2.0),
    ]
    second.close()


def test_a_failed_write_loads_nothing_and_later_writes_of_its_series_are_kept(store: Store) -> None:
    with pytest.raises(StoreError, match="NOT NULL constraint failed"):
        store.write_metrics([point(1, host="h2"), point(float("nan"))])  # SQLite stores NaN as NULL
    assert store.counts()["metrics"] == 0
    store.write_metrics([point(2)])
    assert store.latest_values("hdfs", "datanode", "disk.used", START, AT) == [("alpha", "h1", 2.0)]
    assert store.metric_paths() == ["hdfs/datanode/disk.used"]


def test_an_in_memory_store_works_from_other_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = Store(":memory:")
    store.write_metrics([point(1)])
    with ThreadPoolExecutor(1) as pool:
        rows = pool.submit(store.latest_values, "hdfs", "datanode", "disk.used", START, AT).result()
    assert rows == [("alpha", "h1", 1.0)]
    store.close()


WORKER = textwrap.dedent(
    """
    import pathlib
    import sys
    import time
    from khp.records import LogRow, MetricRow, ProcessState
    from khp.store import Store

    path, me, batches, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), pathlib.Path(sys.argv[4])
    for _ in range(3000):  # start together, so the writes really overlap
        if go.exists():
            break
        time.sleep(0.01)
    store = Store(path)
    for i in range(batches):
        rows = [MetricRow(1000.0 + i, "alpha", me, "hdfs", "datanode", f"m{n}", float(i)) for n in range(10)]
        store.write_metrics(rows)
        store.write_logs([LogRow(1000.0 + i, "alpha", me, "hbase", "master", "WARN", f"line {i}")])
        store.write_processes([ProcessState(1000.0 + i, "alpha", me, "hdfs-datanode", "RUNNING")])
        store.latest_values("hdfs", "datanode", "m1", 0, 10000)
        store.aggregate_values("max", "hdfs", "datanode", "m2", 0, 10000)
        store.log_counts("hbase", "master", "line", 0, 10000)
        store.process_states(0, 10000)
        store.counts()
    store.close()
    print("done", me)
    """
)


def run_workers(path: Path, names: list[str], batches: int, go: Path) -> None:
    """Run a worker process per name on the store at ``path``, all released at once by ``go``, and check each."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(path), name, str(batches), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    go.touch()
    for name, worker in zip(names, workers, strict=True):
        out, err = worker.communicate(timeout=120)
        assert "database is locked" not in err
        assert worker.returncode == 0, err
        assert out.strip() == f"done {name}"


def test_several_processes_write_and_read_one_store_file(tmp_path: Path) -> None:
    path = tmp_path / "khp.db"
    Store(path).close()
    names = ["w1", "w2", "w3"]
    run_workers(path, names, batches=100, go=tmp_path / "go")
    store = Store(path)
    assert store.counts() == {"metrics": 3 * 100 * 10, "logs": 3 * 100, "processes": 3 * 100}
    assert store.latest_values("hdfs", "datanode", "m1", 0, 10000) == [("alpha", n, 99.0) for n in names]
    store.close()


def test_several_processes_may_create_the_store_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "khp.db"
    run_workers(path, ["w1", "w2", "w3"], batches=5, go=tmp_path / "go")
    store = Store(path)
    assert store.counts() == {"metrics": 3 * 5 * 10, "logs": 3 * 5, "processes": 3 * 5}
    store.close()


def test_the_cycle_log_keeps_records_oldest_first_and_prunes(tmp_path: Path) -> None:
    log = CycleLog(tmp_path / "khp.db")
    for started in (AT - 120, AT - 60, AT):
        log.append({"started": started, "at": started, "seconds": 0.5, "monitors": {}})
    assert [r["started"] for r in log.recent(2)] == [AT - 60, AT]
    assert [r["started"] for r in log.recent()] == [AT - 120, AT - 60, AT]
    assert log.prune(AT - 60) == 1
    assert [r["started"] for r in log.recent()] == [AT - 60, AT]


def damage(path: Path) -> None:
    """Overwrite a page in the middle of the file with garbage (a disk or copy gone wrong)."""
    with path.open("r+b") as file:
        file.seek(4096 * 3)
        file.write(b"\xde\xad\xbe\xef" * 1024)


def test_a_damaged_store_is_a_store_error_that_says_what_to_do(tmp_path: Path) -> None:
    db = Store(tmp_path / "khp.db")
    db.write_metrics([point(1, host=f"h{i}") for i in range(3000)])
    db.close()
    damage(tmp_path / "khp.db")
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "khp.db").write_metrics([point(2)])
    message = str(caught.value)
    # where the damage is found (opening reads the latest-value table) decides the verb
    assert message.startswith(
        (
            f"cannot open the store {tmp_path / 'khp.db'}: the file is damaged (",
            f"cannot write to the store {tmp_path / 'khp.db'}: the file is damaged (",
        )
    )
    assert message.endswith("restore a copy, or move it away and khp starts an empty one")


def test_a_file_that_is_not_a_store_cannot_be_opened(tmp_path: Path) -> None:
    (tmp_path / "khp.db").write_bytes(b"this is not SQLite, but a long enough text to look like a file" * 100)
    with pytest.raises(StoreError, match=r"cannot open the store .*: the file is damaged .*not a database"):
        Store(tmp_path / "khp.db")


@pytest.mark.parametrize(
    ("directory_mode", "refusal"),
    [
        (0o777, "cannot load {rows} into the store {db}: it is read-only"),
        (0o555, "cannot open the store {db}: it is read-only"),  # nor can SQLite create its -wal beside it
    ],
)
def test_a_read_only_store_refuses_to_load_and_keeps_what_it_has(directory_mode: int, refusal: str) -> None:
    from tests.unprivileged import read_only, shared_directory, unprivileged

    with shared_directory() as directory:
        db = Store(directory / "khp.db")
        db.write_metrics([point(1)])
        db.close()
        read_only(directory / "khp.db")
        directory.chmod(directory_mode)
        (directory / "rows.jsonl").write_text(
            '{"time": 1795946400, "cluster": "a", "host": "h", "service": "s", "role": "r", "name": "n", "value": 1}\n'
        )
        (directory / "rows.jsonl").chmod(0o644)
        code = (
            "import sys\nfrom khp.store import Store, StoreError\n"
            f"try:\n    Store({str(directory / 'khp.db')!r}).load_file('metrics', {str(directory / 'rows.jsonl')!r})\n"
            "except StoreError as exc:\n    print(exc)\n"
        )
        done = subprocess.run(unprivileged([sys.executable, "-c", code]), capture_output=True, text=True, check=True)
        assert done.stdout.startswith(refusal.format(rows=directory / "rows.jsonl", db=directory / "khp.db"))
        assert done.stdout.rstrip().endswith("make the file and its directory writable")
        assert Store(directory / "khp.db").counts()["metrics"] == 1


def test_cycle_log_errors_are_store_errors_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "khp.db").write_bytes(b"not a database at all" * 200)
    with pytest.raises(StoreError, match=f"cannot open the store {tmp_path / 'khp.db'}: the file is damaged"):
        CycleLog(tmp_path / "khp.db")
