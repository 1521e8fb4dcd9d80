"""Editing one threshold, the rooms or the pending time in a cluster file: keep the rest, write atomically.

``set_threshold(text, key, entry)`` is pure. It finds the top-level ``thresholds:`` mapping
through PyYAML's node positions and changes only the line(s) of ``key``: every other line,
comment and blank line stays as it was (the edited entry is written in flow style,
``key: {warning: 60, critical: null}``, and keeps a trailing comment on its line). When the
mapping is not in block style (``thresholds: {a: ...}`` or empty), only the ``thresholds``
block is rewritten. Each result is parsed back and compared with the intended data; if it
does not match, the whole file is dumped again (comments are lost then, and the method says so).

``write_atomically`` writes a temporary file in the same directory, fsyncs it and renames it
over the original: a reader sees the old file or the new one, never half of one, and a failed
write leaves the original untouched.
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

SURGICAL = "edited in place"
BLOCK = "thresholds block rewritten"
DUMPED = "file rewritten (comments lost)"
_COMMENT = re.compile(r"^( +)#")


class ClusterFileError(Exception):
    """The cluster file could not be read, edited or written; the file on disk is unchanged."""


def set_threshold(text: str, key: str, entry: Mapping[str, float | None]) -> tuple[str, str]:
    """``text`` with ``thresholds.<key>`` set to ``entry`` (removed when empty), and how it was done."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ClusterFileError(f"the file is not valid YAML now ({exc}); fix it by hand first") from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or (root is not None and not isinstance(root, yaml.MappingNode)):
        raise ClusterFileError("the file does not hold a mapping; fix it by hand first")
    thresholds = data.get("thresholds")
    if thresholds is not None and not isinstance(thresholds, dict):
        raise ClusterFileError("its thresholds: is not a mapping; fix it by hand first")
    expected = copy.deepcopy(data)
    wanted = dict(thresholds or {})
    if entry:
        wanted[key] = dict(entry)
    else:
        wanted.pop(key, None)
    expected["thresholds"] = wanted
    attempts = ((SURGICAL, _surgical), (BLOCK, _block))
    for method, edit in attempts:
        edited = edit(text, root, key, entry, wanted)
        if edited is not None and _same(edited, expected):
            return edited, method
    return yaml.safe_dump(expected, sort_keys=False, allow_unicode=True), DUMPED


def _same(text: str, expected: dict[str, Any]) -> bool:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        return False
    if loaded.get("thresholds") is None and not expected["thresholds"]:
        loaded = {**loaded, "thresholds": {}}
    if "thresholds" not in loaded and not expected["thresholds"]:
        loaded = {**loaded, "thresholds": {}}
    return loaded == expected


def flow(entry: Mapping[str, float | None]) -> str:
    """``{warning: 60, critical: null}`` as YAML writes it (numbers that load back as numbers)."""
    return yaml.safe_dump(dict(entry), default_flow_style=True, sort_keys=False).strip()


def _top_pair(root: yaml.Node | None, name: str) -> tuple[yaml.Node, yaml.Node] | None:
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == name:
            return key_node, value_node
    return None


def _last_end(node: yaml.Node) -> int:
    """Where the node's last scalar ends: a block collection's own end mark runs on past comments."""
    if isinstance(node, yaml.ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    children: list[yaml.Node] = []
    if isinstance(node, yaml.MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    return max((_last_end(child) for child in children), default=node.start_mark.index)


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    """The index just past the newline of the line holding ``index`` (or the end of the text)."""
    end = text.find("\n", index)
    return len(text) if end < 0 else end + 1


def _surgical(
    text: str, root: yaml.Node | None, key: str, entry: Mapping[str, float | None], wanted: Mapping[str, Any]
) -> str | None:
    pair = _top_pair(root, "thresholds")
    if pair is None:
        if not entry:
            return text
        tail = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{tail}thresholds:\n  {key}: {flow(entry)}\n"
    mapping = pair[1]
    if not isinstance(mapping, yaml.MappingNode) or mapping.flow_style or not mapping.value:
        return None
    for key_node, value_node in mapping.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            start, end = key_node.start_mark.index, _last_end(value_node)
            if entry:
                line = f"{key}: {flow(entry)}"
                width = end - start if "\n" not in text[start:end] else len(line)  # keep a one-line comment's column
                return text[:start] + _aligned(line, width, text[end:])
            return text[: _line_start(text, start)] + text[_line_end(text, end) :]
    if not entry:
        return text
    indent = " " * mapping.value[0][0].start_mark.column
    after = _line_end(text, _last_end(mapping.value[-1][1]))
    newline = "" if after == 0 or text[after - 1] == "\n" else "\n"
    return text[:after] + f"{newline}{indent}{key}: {flow(entry)}\n" + text[after:]


def _aligned(new: str, old_length: int, rest: str) -> str:
    """``new`` followed by ``rest``, keeping a trailing comment where it was (at least two spaces away)."""
    comment = _COMMENT.match(rest)
    if comment is None:
        return new + rest
    spaces = max(2, len(comment.group(1)) + old_length - len(new))
    return new + " " * spaces + rest[len(comment.group(1)) :]


def _block(
    text: str, root: yaml.Node | None, key: str, entry: Mapping[str, float | None], wanted: Mapping[str, Any]
) -> str | None:
    pair = _top_pair(root, "thresholds")
    if pair is None:
        return None
    key_node, value_node = pair
    start = _line_start(text, key_node.start_mark.index)
    last = key_node.end_mark.index
    if not (isinstance(value_node, yaml.ScalarNode) and value_node.value == ""):
        last = max(last, _last_end(value_node))
    end = _line_end(text, last)
    lines = [f"  {name}: {flow(value) if value is not None else 'null'}" for name, value in wanted.items()]
    block = "thresholds:\n" + "".join(f"{line}\n" for line in lines) if lines else "thresholds: {}\n"
    return text[:start] + block + text[end:]


def set_top(text: str, key: str, value: Any) -> tuple[str, str]:
    """``text`` with the top-level ``key`` set to ``value`` (removed when None), and how it was done.

    For a cluster's ``pending`` and ``channels``: the lines of ``key`` (and its block) are replaced
    by ``key: <value>`` in flow style; every other line and comment stays. The result is parsed
    back and compared; if it does not match, the whole file is dumped again (comments lost).
    """
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ClusterFileError(f"the file is not valid YAML now ({exc}); fix it by hand first") from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or (root is not None and not isinstance(root, yaml.MappingNode)):
        raise ClusterFileError("the file does not hold a mapping; fix it by hand first")
    expected = copy.deepcopy(data)
    if value is None:
        expected.pop(key, None)
    else:
        expected[key] = value
    line = f"{key}: {yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000).strip()}"
    if line.endswith("\n..."):
        line = line[:-4].rstrip()
    pair = _top_pair(root, key)
    if pair is None:
        tail = "" if not text or text.endswith("\n") else "\n"
        edited = text if value is None else f"{text}{tail}{line}\n"
    else:
        key_node, value_node = pair
        start = _line_start(text, key_node.start_mark.index)
        end = _line_end(text, max(key_node.end_mark.index, _last_end(value_node)))
        rest = text[end:]
        one_line = "\n" not in text[key_node.start_mark.index : _last_end(value_node)]
        comment = re.match(r"^[^\n#]*?(\s+#[^\n]*)\n", text[_last_end(value_node) : end])
        kept = comment.group(1) if comment and one_line else ""  # a one-line entry keeps its comment
        edited = text[:start] + ("" if value is None else f"{line}{kept}\n") + rest
    if _loads_as(edited, expected):
        return edited, SURGICAL
    return yaml.safe_dump(expected, sort_keys=False, allow_unicode=True), DUMPED


def _loads_as(text: str, expected: dict[str, Any]) -> bool:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return (loaded or {}) == expected


@contextlib.contextmanager
def locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``directory`` (flock on the directory itself: no lock file to leave)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError as exc:
        raise ClusterFileError(f"cannot open {directory}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` by a file holding ``text``, all at once; on failure ``path`` is unchanged."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".khp-tmp")
    except OSError as exc:
        raise ClusterFileError(f"cannot write in {path.parent}: {exc.strerror}; {path} is unchanged") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(os.stat(path).st_mode))
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise ClusterFileError(f"cannot write {path}: {exc.strerror or exc}; {path} is unchanged") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ClusterFileError(f"cannot read {path}: {exc.strerror}") from None
