"""Kudu tablet servers: how many tablets each one carries, and failed tablets."""

from evaluator import Monitor


class KuduMonitor(Monitor):
    """Kudu tablet counts per tablet server."""

    thresholds = {
        "kudu_tablets_num_running": {"warning": 2000, "critical": None, "meaning": "running tablets per tablet server"},
        "kudu_tablets_num_failed": {"warning": 0, "critical": 10, "meaning": "failed tablets per tablet server"},
    }

    def run(self) -> None:
        running = self.all("kudu/tserver/server.tablets_num_running")
        self.emit(
            "Too many tablets",
            warning=running > self.w("kudu_tablets_num_running"),
            critical=running > self.c("kudu_tablets_num_running"),
            description="Tablet server holds more tablets than recommended",
        )

        failed = self.all("kudu/tserver/server.tablets_num_failed")
        self.emit(
            "Failed tablets",
            warning=failed > self.w("kudu_tablets_num_failed"),
            critical=failed > self.c("kudu_tablets_num_failed"),
            description="Tablet server has failed tablets",
        )
