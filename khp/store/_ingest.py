"""Parse JSON-lines ingest files (DESIGN §3) into records, all or nothing."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from khp.configuration import parse_time
from khp.records import PROCESS_STATES, LogRow, MetricRow, ProcessState

from ._errors import IngestError

KINDS = ("metrics", "logs", "processes")

_METRIC_KEYS = ("time", "cluster", "host", "service", "role", "name", "value")
_LOG_KEYS = ("time", "cluster", "host", "service", "role", "level", "message")
_PROCESS_KEYS = (
    "time",
    "cluster",
    "host",
    "name",
    "group",
    "statename",
    "state",
    "start",
    "stop",
    "now",
    "pid",
    "exitstatus",
    "spawnerr",
    "description",
    "logfile",
    "stdout_logfile",
    "stderr_logfile",
)


_LARGEST = 1e300  # beyond this a sum or an average of values overflows to infinity


class _Bad(Exception):
    pass


def parse_lines(kind: str, lines: Iterable[str | bytes], file: str = "<input>") -> list[Any]:
    """Parse every line of ``lines`` as a ``kind`` record; raise ``IngestError`` on the first bad one."""
    return list(iter_records(kind, lines, file))


def iter_records(kind: str, lines: Iterable[str | bytes], file: str = "<input>") -> Iterator[Any]:
    """The records of ``lines`` one by one (lines as text or as UTF-8 bytes); ``IngestError`` at the first bad one."""
    parse = _PARSERS.get(kind)
    if parse is None:
        raise ValueError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    for number, raw in enumerate(lines, start=1):
        line = _decoded(raw, file, number)
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise IngestError(file, number, f"not JSON ({exc.msg} at column {exc.colno})") from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, arrays nested a thousand deep
            raise IngestError(file, number, f"not JSON that khp can read ({exc})") from None
        if not isinstance(obj, dict):
            raise IngestError(file, number, f"expected a JSON object, got {type(obj).__name__}")
        try:
            yield parse(obj)
        except _Bad as exc:
            raise IngestError(file, number, str(exc)) from None


def _decoded(raw: str | bytes, file: str, number: int) -> str:
    if isinstance(raw, str):
        return raw
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1].hex()
        raise IngestError(file, number, f"not UTF-8 text (byte 0x{byte} at column {exc.start + 1})") from None


def _check_keys(obj: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in obj:
        if key not in allowed:
            raise _Bad(f"unknown field {key!r}; allowed: {', '.join(allowed)}")


def _text(obj: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str) or (not value and default is None):
        raise _Bad(f"field {key!r} must be a non-empty string, got {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # JSON's "\ud800": half of a surrogate pair, which no file can store
        raise _Bad(f"field {key!r} holds {value[exc.start]!r}, half of a UTF-16 surrogate pair") from None
    return value


def _number(obj: Mapping[str, Any], key: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"field {key!r} must be a finite number, got {_shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > _LARGEST:
        raise _Bad(f"field {key!r} must be a finite number, got {_shown(value)}")
    return number


def _whole(obj: Mapping[str, Any], key: str, default: int) -> int:
    value = obj.get(key, default)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
        raise _Bad(f"field {key!r} must be a whole number, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _time(obj: Mapping[str, Any]) -> float:
    if "time" not in obj:
        raise _Bad("field 'time' is missing (ISO-8601 or epoch seconds)")
    value = obj["time"]
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise _Bad(f"field 'time' must be ISO-8601 or epoch seconds, got {_shown(value)}")
    try:
        return parse_time(value)
    except ValueError as exc:
        raise _Bad(f"field 'time': {exc}") from None


def _metric(obj: Mapping[str, Any]) -> MetricRow:
    _check_keys(obj, _METRIC_KEYS)
    return MetricRow(
        time=_time(obj),
        cluster=_text(obj, "cluster"),
        host=_text(obj, "host"),
        service=_text(obj, "service"),
        role=_text(obj, "role"),
        name=_text(obj, "name"),
        value=_number(obj, "value"),
    )


def _log(obj: Mapping[str, Any]) -> LogRow:
    _check_keys(obj, _LOG_KEYS)
    return LogRow(
        time=_time(obj),
        cluster=_text(obj, "cluster"),
        host=_text(obj, "host"),
        service=_text(obj, "service"),
        role=_text(obj, "role"),
        level=_text(obj, "level", "INFO"),
        message=_text(obj, "message"),
    )


def _process(obj: Mapping[str, Any]) -> ProcessState:
    _check_keys(obj, _PROCESS_KEYS)
    statename = _text(obj, "statename")
    if statename not in PROCESS_STATES:
        raise _Bad(f"field 'statename' must be one of {', '.join(PROCESS_STATES)}, got {statename!r}")
    return ProcessState(
        time=_time(obj),
        cluster=_text(obj, "cluster"),
        host=_text(obj, "host"),
        name=_text(obj, "name"),
        statename=statename,
        group=_text(obj, "group", ""),
        state=_whole(obj, "state", PROCESS_STATES[statename]),
        start=_number(obj, "start", 0),
        stop=_number(obj, "stop", 0),
        pid=_whole(obj, "pid", 0),
        exitstatus=_whole(obj, "exitstatus", 0),
        spawnerr=_text(obj, "spawnerr", ""),
        description=_text(obj, "description", ""),
    )


_PARSERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {"metrics": _metric, "logs": _log, "processes": _process}
