"""One XML-RPC call over HTTP(S) with a timeout and Basic auth; every failure becomes a short reason.

``xmlrpc.client.ServerProxy`` waits forever by default and puts credentials in the URL, where
they end up in error messages; this speaks the same protocol with ``http.client`` directly.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import xmlrpc.client
from typing import Any
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError


class RpcError(Exception):
    """A call got no usable answer; ``str()`` is the reason (``connection refused``), ``status`` the HTTP one."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        self.status = status
        super().__init__(reason)


def basic_auth(username: str, password: str) -> str:
    """The ``Authorization`` header value for HTTP Basic auth."""
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def call(url: str, method: str, *, timeout: float, authorization: str | None = None) -> Any:
    """Call ``method`` (no arguments) at ``url`` and return its result, or raise ``RpcError``.

    ``timeout`` bounds connecting and each wait for data.
    """
    parts = urlsplit(url)
    body = xmlrpc.client.dumps((), method, encoding="utf-8").encode("utf-8")
    headers = {"Content-Type": "text/xml", "User-Agent": "khp-monitor"}
    if authorization:
        headers["Authorization"] = authorization
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path or "/", body, headers)
        response = connection.getresponse()
        data = response.read()
    except Exception as exc:
        raise RpcError(_connection_reason(exc, parts.hostname or "", timeout)) from exc
    finally:
        connection.close()
    if response.status != 200:
        raise RpcError(f"HTTP {response.status} {response.reason}".rstrip(), response.status)
    try:
        (result,), _method = xmlrpc.client.loads(data, use_builtin_types=True)
    except xmlrpc.client.Fault as fault:
        raise RpcError(f"XML-RPC fault {fault.faultCode}: {fault.faultString}") from fault
    except (ExpatError, xmlrpc.client.ResponseError, ValueError, TypeError) as exc:
        raise RpcError(f"not an XML-RPC answer: {str(exc) or type(exc).__name__}") from exc
    return result


def _connection_reason(exc: Exception, hostname: str, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g}s"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve {hostname}: {exc.strerror}"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "connection closed without an answer"
    if isinstance(exc, http.client.HTTPException):
        return f"not an HTTP answer ({type(exc).__name__})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]
    return f"{type(exc).__name__}: {exc}"
