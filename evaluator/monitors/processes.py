"""Processes under Supervisor: failed states, roles missing from hosts, hosts gone quiet."""

from evaluator import Monitor


class ProcessMonitor(Monitor):
    """Process states and host inventory from Supervisor."""

    thresholds = {
        "process_fatal_count": {"warning": 0, "critical": None, "meaning": "FATAL processes per host"},
        "process_backoff_count": {"warning": 0, "critical": None, "meaning": "BACKOFF processes per host"},
        "process_exited_count": {"warning": 0, "critical": None, "meaning": "EXITED processes per host"},
        "supervisor_unreachable": {
            "warning": 0,
            "critical": None,
            "meaning": "1 per host whose Supervisor does not answer; null turns it off",
        },
        "silent_host": {
            "warning": 0,
            "critical": None,
            "meaning": "1 per host with no process state in the window; null turns it off",
        },
        "missing_role_count": {
            "warning": 0,
            "critical": None,
            "meaning": "roles from the cluster file's hosts: with no process, per host",
        },
        "datanode_without_nodemanager": {
            "warning": 0,
            "critical": None,
            "meaning": "1 per DataNode host without a NodeManager; null turns it off",
        },
    }

    def run(self) -> None:
        fatal = self.process_count("FATAL")
        self.emit(
            "Process FATAL",
            warning=fatal > self.w("process_fatal_count"),
            critical=fatal > self.c("process_fatal_count"),
            description="Supervisor gave up starting processes",
            action="Read why it dies (supervisorctl tail NAME stderr); fix that, then supervisorctl start NAME",
        )

        backoff = self.process_count("BACKOFF")
        self.emit(
            "Process BACKOFF",
            warning=backoff > self.w("process_backoff_count"),
            critical=backoff > self.c("process_backoff_count"),
            description="Processes keep exiting while Supervisor retries them",
            action="Read its stderr (supervisorctl tail NAME stderr): often a port in use, a bad config, a full disk",
        )

        exited = self.process_count("EXITED")
        self.emit(
            "Process EXITED",
            warning=exited > self.w("process_exited_count"),
            critical=exited > self.c("process_exited_count"),
            description="Processes exited and were not restarted",
            action="Read its exit status and log (supervisorctl status; tail NAME stderr); start it once understood",
        )

        # A host that does not answer or report at all is reported once, by the most specific check.
        unreachable = self.unreachable_hosts()
        self.emit(
            "Supervisor unreachable",
            warning=unreachable > self.w("supervisor_unreachable"),
            critical=unreachable > self.c("supervisor_unreachable"),
            description="Supervisor on the host does not answer",
            action="Check that the host is up, then supervisord (systemctl status supervisord) and its XML-RPC port",
        )

        quiet = self.silent_hosts()
        silent = quiet.unless(unreachable)
        self.emit(
            "Host silent",
            warning=silent > self.w("silent_host"),
            critical=silent > self.c("silent_host"),
            description="Host reported no process state in the window",
            action="Check whether the host is up (ping, ssh); if it is, restart its agent or supervisord",
        )

        missing = self.missing_roles().unless(quiet | unreachable)
        self.emit(
            "Role missing",
            warning=missing > self.w("missing_role_count"),
            critical=missing > self.c("missing_role_count"),
            description="Roles listed for the host in its cluster file have no process",
            action="Add the program to the host's Supervisor config (supervisorctl update), or fix the cluster file",
        )

        no_nodemanager = self.hosts_without("yarn/nodemanager", having="hdfs/datanode")
        self.emit(
            "NodeManager missing",
            warning=no_nodemanager > self.w("datanode_without_nodemanager"),
            critical=no_nodemanager > self.c("datanode_without_nodemanager"),
            description="DataNode host runs no NodeManager; its disks do no YARN work",
            action="Deploy and start a NodeManager there, or turn datanode_without_nodemanager off for the cluster",
        )
