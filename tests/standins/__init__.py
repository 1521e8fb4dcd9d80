"""Local HTTP stand-ins for servers the tests cannot run (Elasticsearch, Druid, Kakao), speaking their wire formats."""

from http.server import ThreadingHTTPServer


class StandInServer(ThreadingHTTPServer):
    """``ThreadingHTTPServer`` with the listen backlog of a real server (128, not 5).

    The evaluator queries a source from ``evaluation.parallel_queries`` threads at once; on a
    busy machine the accepting thread lags, and Python's default backlog of 5 is the likely
    cause of a Druid query once answered "connection reset by peer" in a full test run.
    """

    request_queue_size = 128
    daemon_threads = True
