"""``w(key)`` and ``c(key)``: a threshold's value for each cluster."""

from __future__ import annotations

from khp.configuration import Config

from ._errors import ThresholdError
from ._vector import ThresholdLike


class Thresholds(ThresholdLike):
    """The ``level`` value of threshold ``key`` per cluster: its own where set, else the default.

    Comparing a vector with it compares each element with its cluster's value; a cluster
    whose value is ``null`` is left out, which turns the check off there.
    """

    def __init__(self, config: Config, key: str, level: str, monitor: str = "") -> None:
        if key not in config.thresholds:
            known = ", ".join(sorted(config.thresholds)) or "none"
            where = f"{monitor} uses " if monitor else ""
            raise ThresholdError(
                f"{where}threshold {key!r}, which {config.file or 'khp.yml'} does not define; defined: {known}"
            )
        self.config = config
        self.key = key
        self.level = level
        self.label = f"{level[0]}({key!r})"
        self._values: dict[str, float | None] = {}

    def for_cluster(self, cluster: str) -> float | None:
        # Asked once per element compared: remember each cluster's value (the config is frozen).
        try:
            return self._values[cluster]
        except KeyError:
            value = self._values[cluster] = self.config.threshold(self.key, cluster, self.level)
            return value

    @property
    def default(self) -> float | None:
        return self.config.thresholds[self.key].level(self.level)

    def overrides(self) -> dict[str, float | None]:
        """The clusters whose value differs from the default, with their value."""
        return {
            name: cluster.thresholds[self.key][self.level]
            for name, cluster in sorted(self.config.clusters.items())
            if self.key in cluster.thresholds and self.level in cluster.thresholds[self.key]
        }

    def __repr__(self) -> str:
        shown: dict[str, float | None] = {"default": self.default}
        shown.update(self.overrides())
        return f"{self.label}: {shown}"
