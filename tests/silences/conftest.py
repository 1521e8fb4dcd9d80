"""Fixtures for silences: a real Alertmanager with a recording webhook, and the service on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from khp.configuration import Config
from khp.silences import SilenceService
from tests.realparts.alertmanager import AlertmanagerServer, WebhookRecorder, running_alertmanager, webhook_config

from .helpers import project_config


@pytest.fixture
def hook() -> Iterator[WebhookRecorder]:
    with WebhookRecorder() as recorder:
        yield recorder


@pytest.fixture
def am(tmp_path: Path, hook: WebhookRecorder) -> Iterator[AlertmanagerServer]:
    """One Alertmanager notifying ``hook``; warning is not inhibited, so silences alone decide."""
    config = webhook_config(hook.url, inhibit_warning_by_critical=False)
    with running_alertmanager(tmp_path / "am", config) as server:
        yield server


@pytest.fixture
def config(tmp_path: Path, am: AlertmanagerServer) -> Config:
    """Clusters alpha and beta, checks 'Task slot usage' and 'Slot leak'; maintenance <= 2d, mutes <= 1d."""
    return project_config(tmp_path / "project", [am.url])


@pytest.fixture
def service(config: Config) -> SilenceService:
    return SilenceService(config)
