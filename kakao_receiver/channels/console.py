"""The console channel: the message as plain text on stdout, stderr or the log. It always delivers.

Options::

    stream: stdout   # stdout | stderr | log (logger ``kakao_receiver.console``, level INFO)
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, TextIO

from .._content import MessageContent
from ._options import Options

log = logging.getLogger("kakao_receiver.console")


class ConsoleChannel:
    """Prints each message; for the demo, trying a config, and as a last-resort room."""

    name = "console"

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        out: TextIO | None = None,
    ) -> None:
        read = Options(self.name, options, ("stream",))
        self.stream = read.choice("stream", "stdout", ("stdout", "stderr", "log"))
        self.out = out

    def render(self, content: MessageContent) -> dict[str, Any]:
        return {"text": content.text}

    def send(self, target: str, payload: Mapping[str, Any]) -> None:
        text = f"── {self.name}:{target} ──\n{payload.get('text', '')}"
        if self.stream == "log" and self.out is None:
            log.info("%s", text)
            return
        out = self.out or (sys.stderr if self.stream == "stderr" else sys.stdout)
        print(text, file=out, flush=True)
