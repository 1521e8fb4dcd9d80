"""HBase: regions in transition, dead RegionServers, the active master, RegionServer queues, GC, slow RPCs.

Paths are the attribute names of the master's Master,sub=AssignmentManager and sub=Server beans
and the RegionServer's sub=Server and sub=IPC beans. ``isActiveMaster`` is the master's
``tag.isActiveMaster`` as a gauge: 1 on the active master, 0 on a backup.
"""

from evaluator import Monitor


class HbaseMonitor(Monitor):
    """HBase masters and RegionServers."""

    thresholds = {
        "hbase_rit_count": {"warning": 10, "critical": None, "meaning": "regions in transition, per cluster"},
        "hbase_rit_over_threshold": {
            "warning": 0,
            "critical": 5,
            "meaning": "regions in transition longer than HBase's stuck threshold",
        },
        "hbase_dead_regionservers": {"warning": 0, "critical": None, "meaning": "RegionServers the master lists dead"},
        "hbase_compaction_queue": {"warning": 100, "critical": None, "meaning": "queued compactions per RegionServer"},
        "hbase_flush_queue": {"warning": 20, "critical": None, "meaning": "queued memstore flushes per RegionServer"},
        "hbase_call_queue": {
            "warning": 100,
            "critical": 250,
            "meaning": "calls waiting in a RegionServer's general RPC queue",
        },
        "hbase_regions_per_server": {"warning": 800, "critical": None, "meaning": "regions on one RegionServer"},
        "hbase_regionserver_gc_ms": {
            "warning": 6000,
            "critical": 20000,
            "meaning": "RegionServer GC time, ms per minute",
        },
        "hbase_response_warning_count": {
            "warning": 50,
            "critical": None,
            "meaning": "responseTooSlow/TooLarge log lines per RegionServer in 10 minutes",
        },
    }

    def run(self) -> None:
        # Masters run as an HA pair: take the larger value per cluster.
        rit = self.max("hbase/master/ritCount")
        self.emit(
            "Regions in transition",
            warning=rit > self.w("hbase_rit_count"),
            critical=rit > self.c("hbase_rit_count"),
            description="Regions in transition",
            action="Watch that the count falls (master UI, Regions in Transition); look for a RegionServer restarting",
        )

        stuck = self.max("hbase/master/ritCountOverThreshold")
        self.emit(
            "Regions stuck in transition",
            warning=stuck > self.w("hbase_rit_over_threshold"),
            critical=stuck > self.c("hbase_rit_over_threshold"),
            description="Regions in transition for too long; their data is unavailable",
            action="Find the regions and their server in the master UI; read that server's log before using hbck2",
        )

        dead = self.max("hbase/master/numDeadRegionServers")
        self.emit(
            "Dead RegionServers",
            warning=dead > self.w("hbase_dead_regionservers"),
            critical=dead > self.c("hbase_dead_regionservers"),
            description="RegionServers the master declared dead; their regions moved or wait",
            action="Read the dead server's last log lines (ZooKeeper session expired? GC pause?) and restart it",
        )

        # Only one master can hold the lock; a dead one's last value lingers, so look at two minutes.
        active = self.sum("hbase/master/isActiveMaster", window="2m")
        self.emit(
            "No active HBase master",
            critical=active < 1,
            description="No HBase master is active: no region can be assigned or moved",
            action="Read the masters' logs for why they do not take over; check ZooKeeper and HDFS first",
        )

        compactions = self.all("hbase/regionserver/compactionQueueLength")
        self.emit(
            "Compaction queue",
            warning=compactions > self.w("hbase_compaction_queue"),
            critical=compactions > self.c("hbase_compaction_queue"),
            description="RegionServer compaction backlog growing",
            action="Check the RegionServer's disk I/O and write rate; raise compaction threads if disks have room",
        )

        flushes = self.all("hbase/regionserver/flushQueueLength")
        self.emit(
            "Flush queue",
            warning=flushes > self.w("hbase_flush_queue"),
            critical=flushes > self.c("hbase_flush_queue"),
            description="Memstore flushes queue up; writes will block",
            action="Look at the RegionServer's HDFS write latency and its store file count (too many blocks flushes)",
        )

        calls = self.all("hbase/regionserver/numCallsInGeneralQueue")
        self.emit(
            "RPC call queue",
            warning=calls > self.w("hbase_call_queue"),
            critical=calls > self.c("hbase_call_queue"),
            description="Client calls wait in the RegionServer's RPC queue",
            action="Find the hot regions or clients (RegionServer UI, requests per region); split or move them",
        )

        regions = self.all("hbase/regionserver/regionCount")
        self.emit(
            "Regions per RegionServer",
            warning=regions > self.w("hbase_regions_per_server"),
            critical=regions > self.c("hbase_regions_per_server"),
            description="A RegionServer carries too many regions; memstores and recovery suffer",
            action="Check that the balancer is on (balancer_enabled in hbase shell); merge small regions",
        )

        gc = self.all("hbase/regionserver/jvm.gc_time_ms")
        self.emit(
            "RegionServer GC time",
            warning=gc > self.w("hbase_regionserver_gc_ms"),
            critical=gc > self.c("hbase_regionserver_gc_ms"),
            description="RegionServer spends too long in GC; its ZooKeeper session is at risk",
            action="Read the GC log for long pauses; check block cache and memstore sizes against the heap",
        )

        # responseToo* counts both (responseTooSlow) and (responseTooLarge) lines of ipc.RpcServer.
        responses = self.log_count("hbase/regionserver/responseToo*", period="PT10M")
        self.emit(
            "Slow or large responses",
            warning=responses > self.w("hbase_response_warning_count"),
            critical=responses > self.c("hbase_response_warning_count"),
            description="Many responseTooSlow/responseTooLarge RPCs in 10 minutes",
            action="Read the lines' client and method fields: find the scan or multi-get that is too big or too slow",
        )
