"""The exporter's one error: ``/metrics`` could not be served where the configuration says."""

from __future__ import annotations


class ExporterError(Exception):
    """``exporter.listen`` cannot be used: malformed, or the address cannot be bound; the message says which."""
