"""The alerts Alertmanager holds for one cluster (``GET /api/v2/alerts?filter=cluster="c"``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import requests

from khp.silences import AlertmanagerUnavailable, SilenceError


class AlertReader:
    """Reads from the first of ``urls`` that answers, as the silences client does."""

    def __init__(self, urls: Sequence[str], timeout: float, session: requests.Session) -> None:
        self.urls = tuple(url.rstrip("/") for url in urls)
        self.timeout = timeout
        self.session = session

    def alerts(self, cluster: str) -> list[dict[str, Any]]:
        """Every alert of ``cluster`` Alertmanager holds now: active, silenced and inhibited."""
        quoted = cluster.replace("\\", "\\\\").replace('"', '\\"')
        failures: list[str] = []
        for url in self.urls:
            try:
                response = self.session.get(
                    f"{url}/api/v2/alerts", params={"filter": f'cluster="{quoted}"'}, timeout=self.timeout
                )
            except requests.Timeout:
                failures.append(f"{url} (no answer in time)")
                continue
            except requests.RequestException as exc:
                failures.append(f"{url} ({type(exc).__name__})")
                continue
            if response.status_code >= 500:
                failures.append(f"{url} (HTTP {response.status_code})")
                continue
            try:
                answer = response.json()
            except ValueError:
                answer = None
            if response.status_code != 200 or not isinstance(answer, list):
                raise SilenceError(f"Alertmanager at {url} could not list alerts (HTTP {response.status_code})")
            return [alert for alert in answer if isinstance(alert, dict)]
        raise AlertmanagerUnavailable(f"no Alertmanager answered: {'; '.join(failures) or 'none configured'}")
