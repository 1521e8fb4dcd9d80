"""Tables of the embedded store.

Metrics are split into ``series`` (one row per service/role/name/cluster/host) and ``points``
keyed by (series, time), so "latest value per host in the window" is one index seek per
series instead of a scan over every point of the window. ``latest`` holds each series' newest
point, kept on every write and keyed by the metric path first, so the latest values of one
metric are one range of one index, already in (cluster, host) order: a query at or after that
point reads it there, and only a series with a point after the evaluation time (a query in the
past) seeks its points. ``process_current`` keeps each
process's newest state, so a cycle at the present reads one row per process instead of
grouping every snapshot of the window; evaluations in the past read ``processes``.
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    service TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,
    cluster TEXT NOT NULL, host TEXT NOT NULL,
    UNIQUE (service, role, name, cluster, host)
);
CREATE TABLE IF NOT EXISTS points (
    series INTEGER NOT NULL, ts REAL NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (series, ts)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest (
    service TEXT NOT NULL, role TEXT NOT NULL, name TEXT NOT NULL,
    cluster TEXT NOT NULL, host TEXT NOT NULL,
    series INTEGER NOT NULL, ts REAL NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (service, role, name, cluster, host)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS logs (
    ts REAL NOT NULL, cluster TEXT NOT NULL, host TEXT NOT NULL,
    service TEXT NOT NULL, role TEXT NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_by_role ON logs (service, role, ts);
CREATE TABLE IF NOT EXISTS processes (
    ts REAL NOT NULL, cluster TEXT NOT NULL, host TEXT NOT NULL, name TEXT NOT NULL,
    grp TEXT NOT NULL, statename TEXT NOT NULL, state INTEGER NOT NULL,
    start REAL NOT NULL, stop REAL NOT NULL, pid INTEGER NOT NULL, exitstatus INTEGER NOT NULL,
    spawnerr TEXT NOT NULL, description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS processes_by_time ON processes (ts);
CREATE TABLE IF NOT EXISTS process_current (
    cluster TEXT NOT NULL, host TEXT NOT NULL, name TEXT NOT NULL, ts REAL NOT NULL,
    grp TEXT NOT NULL, statename TEXT NOT NULL, state INTEGER NOT NULL,
    start REAL NOT NULL, stop REAL NOT NULL, pid INTEGER NOT NULL, exitstatus INTEGER NOT NULL,
    spawnerr TEXT NOT NULL, description TEXT NOT NULL,
    PRIMARY KEY (cluster, host, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS process_inventory (
    cluster TEXT NOT NULL, host TEXT NOT NULL, name TEXT NOT NULL,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    PRIMARY KEY (cluster, host, name)
) WITHOUT ROWID;
"""

# A store written before ``latest`` existed gets it filled from its points once, when it is opened.
# SQLite takes the value of a bare column from the row that holds the MAX.
BACKFILL_LATEST = """
INSERT INTO latest (service, role, name, cluster, host, series, ts, value)
SELECT s.service, s.role, s.name, s.cluster, s.host, p.series, MAX(p.ts), p.value
FROM points p JOIN series s ON s.id = p.series
WHERE NOT EXISTS (SELECT 1 FROM latest)
GROUP BY p.series
"""
