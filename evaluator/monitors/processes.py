"""Processes under Supervisor: failed states, roles missing from hosts, hosts gone quiet."""

from evaluator import Monitor


class ProcessMonitor(Monitor):
    """Process states and host inventory from Supervisor."""

    def run(self) -> None:
        fatal = self.process_count("FATAL")
        self.emit(
            "Process FATAL",
            warning=fatal > self.w("process_fatal_count"),
            critical=fatal > self.c("process_fatal_count"),
            description="Supervisor gave up starting processes",
        )

        backoff = self.process_count("BACKOFF")
        self.emit(
            "Process BACKOFF",
            warning=backoff > self.w("process_backoff_count"),
            critical=backoff > self.c("process_backoff_count"),
            description="Processes keep exiting while Supervisor retries them",
        )

        exited = self.process_count("EXITED")
        self.emit(
            "Process EXITED",
            warning=exited > self.w("process_exited_count"),
            critical=exited > self.c("process_exited_count"),
            description="Processes exited and were not restarted",
        )

        # A host that does not answer or report at all is reported once, by the most specific check.
        unreachable = self.unreachable_hosts()
        self.emit(
            "Supervisor unreachable",
            warning=unreachable > self.w("supervisor_unreachable"),
            critical=unreachable > self.c("supervisor_unreachable"),
            description="Supervisor on the host does not answer",
        )

        quiet = self.silent_hosts()
        silent = quiet.unless(unreachable)
        self.emit(
            "Host silent",
            warning=silent > self.w("silent_host"),
            critical=silent > self.c("silent_host"),
            description="Host reported no process state in the window",
        )

        missing = self.missing_roles().unless(quiet | unreachable)
        self.emit(
            "Role missing",
            warning=missing > self.w("missing_role_count"),
            critical=missing > self.c("missing_role_count"),
            description="Roles listed for the host in its cluster file have no process",
        )

        no_nodemanager = self.hosts_without("yarn/nodemanager", having="hdfs/datanode")
        self.emit(
            "NodeManager missing",
            warning=no_nodemanager > self.w("datanode_without_nodemanager"),
            critical=no_nodemanager > self.c("datanode_without_nodemanager"),
            description="DataNode host runs no NodeManager; its disks do no YARN work",
        )
