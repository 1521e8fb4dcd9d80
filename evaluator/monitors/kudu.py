"""Kudu tablet servers: tablets (running, failed, bootstrapping), data directories, the hybrid clock.

Paths are Kudu's own metric names, prefixed with their entity type (``server.``).
"""

from evaluator import Monitor


class KuduMonitor(Monitor):
    """Kudu tablet servers."""

    thresholds = {
        "kudu_tablets_num_running": {"warning": 2000, "critical": None, "meaning": "running tablets per tablet server"},
        "kudu_tablets_num_failed": {"warning": 0, "critical": 10, "meaning": "failed tablets per tablet server"},
        "kudu_tablets_bootstrapping": {
            "warning": 0,
            "critical": None,
            "meaning": "tablets bootstrapping per tablet server, for 30 minutes",
        },
        "kudu_data_dirs_failed": {"warning": 0, "critical": None, "meaning": "failed data directories per server"},
        "kudu_data_dirs_full": {"warning": 0, "critical": None, "meaning": "full data directories per server"},
        "kudu_clock_error_ms": {
            "warning": 500,
            "critical": 5000,
            "meaning": "hybrid clock maximum error, ms (Kudu stops at 10 s)",
        },
    }

    def run(self) -> None:
        running = self.all("kudu/tserver/server.tablets_num_running")
        self.emit(
            "Too many tablets",
            warning=running > self.w("kudu_tablets_num_running"),
            critical=running > self.c("kudu_tablets_num_running"),
            description="Tablet server holds more tablets than recommended",
            action="Run kudu cluster rebalance; if every server is full, plan fewer partitions or more servers",
        )

        failed = self.all("kudu/tserver/server.tablets_num_failed")
        self.emit(
            "Failed tablets",
            warning=failed > self.w("kudu_tablets_num_failed"),
            critical=failed > self.c("kudu_tablets_num_failed"),
            description="Tablet server has failed tablets",
            action="Run kudu cluster ksck to see whether replicas are lost; read the tablet server's log for the cause",
        )

        bootstrapping = self.all("kudu/tserver/server.tablets_num_bootstrapping")
        self.emit(
            "Tablets bootstrapping",
            warning=bootstrapping > self.w("kudu_tablets_bootstrapping"),
            critical=bootstrapping > self.c("kudu_tablets_bootstrapping"),
            description="Tablets have been bootstrapping for half an hour after a restart",
            pending="30m",
            action="Watch the tablet server's log for bootstrap progress; a large WAL replays slowly but finishes",
        )

        dirs_failed = self.all("kudu/tserver/server.data_dirs_failed")
        self.emit(
            "Data directories failed",
            warning=dirs_failed > self.w("kudu_data_dirs_failed"),
            critical=dirs_failed > self.c("kudu_data_dirs_failed"),
            description="A Kudu data directory failed; its tablets were shut down",
            action="Find the disk in the tablet server log, replace it, then run kudu fs update_dirs",
        )

        dirs_full = self.all("kudu/tserver/server.data_dirs_full")
        self.emit(
            "Data directories full",
            warning=dirs_full > self.w("kudu_data_dirs_full"),
            critical=dirs_full > self.c("kudu_data_dirs_full"),
            description="Kudu data directories are full; writes to their tablets fail",
            action="Free space on the disks or rebalance tablets away (kudu cluster rebalance)",
        )

        clock_error_ms = self.all("kudu/tserver/server.hybrid_clock_error") / 1000
        self.emit(
            "Hybrid clock error",
            warning=clock_error_ms > self.w("kudu_clock_error_ms"),
            critical=clock_error_ms > self.c("kudu_clock_error_ms"),
            description="The tablet server's clock is poorly synchronized; Kudu stops it past 10 s",
            action="Check chronyc tracking on the host; Kudu needs a synchronized NTP clock to keep running",
        )
