"""The HTTP server on a loopback port 0: /metrics, content types, gzip, stop, and bad addresses."""

from __future__ import annotations

import gzip
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry

from exporter import ExporterError, ExporterState, MetricsServer, serve

from .conftest import known_cycle, labels, parse, series

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS_ACCEPT = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"


@pytest.fixture
def server(state: ExporterState, registry: CollectorRegistry) -> Iterator[MetricsServer]:
    state.update(known_cycle())
    with serve("127.0.0.1:0", registry) as running:
        yield running


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_metrics_answers_in_the_text_format(server: MetricsServer) -> None:
    assert server.host == "127.0.0.1" and server.port > 0
    assert server.address == f"127.0.0.1:{server.port}"
    status, headers, body = get(server.url)
    assert (status, headers["Content-Type"]) == (200, TEXT)
    samples = parse(body)
    assert len(series(samples, "khp_problem")) == 3
    assert series(samples, "khp_queries_in_flight_peak") == {labels(): 4.0}


def test_prometheus_accept_headers_get_openmetrics_and_gzip(server: MetricsServer) -> None:
    status, headers, body = get(server.url, Accept=OPENMETRICS_ACCEPT, **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert headers["Content-Encoding"] == "gzip"
    text = gzip.decompress(body).decode()
    assert text.endswith("# EOF\n")
    assert 'khp_problem{check="Disk usage"' in text


def test_stop_closes_the_socket(state: ExporterState, registry: CollectorRegistry) -> None:
    server = serve("127.0.0.1:0", registry)
    url = server.url
    assert get(url)[0] == 200
    server.stop()
    with pytest.raises(urllib.error.URLError):
        get(url)


def test_an_address_in_use_is_an_exporter_error_naming_the_setting(registry: CollectorRegistry) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ExporterError, match=rf"exporter.listen '{listen}': cannot serve /metrics there .*set"):
            serve(listen, registry)


@pytest.mark.parametrize("listen", ["9464", "localhost:http", "127.0.0.1:99999", "127.0.0.1:"])
def test_a_malformed_listen_is_an_exporter_error(registry: CollectorRegistry, listen: str) -> None:
    with pytest.raises(ExporterError, match=r"exporter.listen: expected 'host:port'.*'' to turn the exporter off"):
        serve(listen, registry)


def test_an_empty_listen_means_off_and_is_not_served(registry: CollectorRegistry) -> None:
    with pytest.raises(ExporterError, match=r"exporter.listen is '': the exporter is off"):
        serve("", registry)


def test_ipv6_loopback_in_brackets(registry: CollectorRegistry) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = serve("[::1]:0", registry)
    except ExporterError as exc:
        pytest.skip(f"::1 cannot be bound here: {exc}")
    with server:
        assert server.address == f"[::1]:{server.port}"
        assert get(server.url)[0] == 200
