"""A generic JSON webhook: the composed content, every field, posted as JSON.

Options::

    url:         https://hooks.example.com/khp      # or
    url_env:     KHP_WEBHOOK_URL                    # env variable with the URL; {target} picks one per room
    headers:     {X-Team: hadoop}                   # plain headers
    headers_env: {Authorization: KHP_WEBHOOK_AUTH}  # header -> env variable holding its value (secrets)
    timeout:     10

The body is ``MessageContent.to_dict()`` plus ``"target"`` (the room's target). 2xx is delivered;
408, 429 and 5xx are retried (``Retry-After`` honoured); other statuses are permanent failures.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from .._channel import DeliveryError
from .._content import MessageContent
from . import _http
from ._errors import ChannelConfigError
from ._limits import webhook_problems
from ._options import Options, env_name, per_target


class WebhookChannel:
    """``POST <url>`` with the message content as JSON."""

    name = "webhook"

    def __init__(
        self,
        options: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        session: requests.Session | None = None,
    ) -> None:
        read = Options(self.name, options, ("url", "url_env", "headers", "headers_env", "timeout"))
        self.url = read.url("url", "http://unset") if "url" in read.values else ""
        self.url_env = read.text("url_env", "")
        if bool(self.url) == bool(self.url_env):
            raise ChannelConfigError("channel 'webhook': set exactly one of the options 'url' and 'url_env'")
        self.timeout = read.number("timeout", 10)
        self.environ = dict(environ or {})
        self.session = session or _http.Session()
        self.headers = read.strings("headers")
        for header, variable in read.strings("headers_env").items():
            if variable not in self.environ:
                raise read.error("headers_env", f"environment variable {variable} (for {header}) is not set")
            self.headers[header] = self.environ[variable]
        if self.url_env and not per_target(self.url_env) and not self.environ.get(self.url_env):
            raise read.error("url_env", f"environment variable {self.url_env} is not set")

    def render(self, content: MessageContent) -> dict[str, Any]:
        return content.to_dict()

    def problems(self, payload: Mapping[str, Any]) -> list[str]:
        """Links that are not absolute http(s) URLs (the body is otherwise free JSON)."""
        return webhook_problems(payload)

    def simpler(self, payload: Mapping[str, Any], problems: list[str]) -> dict[str, Any] | None:
        """The content without its links and actions; ``None`` once it has none."""
        subjects = [
            {**subject, "links": [], "actions": []} if isinstance(subject, Mapping) else subject
            for subject in payload.get("subjects") or []
        ]
        items = [{**item, "links": []} if isinstance(item, Mapping) else item for item in payload.get("items") or []]
        plain = {**payload, "links": [], "subjects": subjects, "items": items}
        return plain if plain != dict(payload) else None

    def send(self, target: str, payload: Mapping[str, Any]) -> None:
        url = self.url
        if not url:
            name = env_name(self.url_env, target)
            url = self.environ.get(name, "")
            if not url:
                raise DeliveryError(f"webhook room {target}: environment variable {name} is not set", permanent=True)
        what = f"webhook room {target}"
        body = {**payload, "target": target}
        response = _http.post(self.session, url, timeout=self.timeout, what=what, json=body, headers=self.headers)
        if response.ok:
            return
        said = f"{what}: HTTP {response.status_code}: {_http.excerpt(response)}"
        if _http.transient(response.status_code):
            raise DeliveryError(f"{said}; will retry", retry_after=_http.retry_after(response))
        if response.status_code in (400, 413, 422):
            raise DeliveryError(f"{said}; the message was refused as it is", rejected=True)
        raise DeliveryError(f"{said}; retrying cannot help", permanent=True)
