"""When a check is noisy enough for a hint, and what a hint must keep: the ``hints:`` section of khp.yml.

```yaml
hints:
  lasting: 30m   # an alert that fired and lasted this long is a fault a hint must keep
```

Only ``lasting`` is configured; the other rules are the defaults below (a test or a caller may
pass its own ``HintRules``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from khp.configuration import Config, ConfigSection, format_duration

SECTION = "hints"


@dataclass(frozen=True)
class HintRules:
    """What a hint must keep, when a check is noisy, and how far a suggestion goes."""

    lasting: float = 1800.0  # a fired alert that lasted this long is a fault no suggestion may lose
    min_fired: int = 5  # a check is looked at once this many of its alerts fired in the period
    min_short: int = 5  # and at least this many of them were short (lasted lasting / 2 or less)
    min_share_short: float = 0.5  # bursts: at least this share of its fired alerts were short
    cut_share: float = 0.8  # the share of the short ones a suggestion aims to keep from firing
    dominant: float = 0.6  # one cluster is the noise when it has this share of a check's short alerts

    @property
    def short(self) -> float:
        """A fired alert that lasted this or less is short: half of ``lasting``."""
        return self.lasting / 2


DEFAULT_RULES = HintRules()


def hint_rules(config: Config) -> HintRules:
    """``HintRules`` with ``hints.lasting`` of ``config``; a ``ConfigError`` names the file and key."""
    section = ConfigSection(config.file, SECTION, dict(config.components.get(SECTION) or {}))
    section.only(("lasting",))
    lasting = section.duration("lasting", HintRules.lasting)
    if lasting < 2 * config.evaluation.interval:
        raise section.error(
            "lasting",
            f"must be at least two evaluation intervals ({format_duration(2 * config.evaluation.interval)}):"
            " a fault is seen more than once before it has lasted",
        )
    return dataclasses.replace(HintRules(), lasting=lasting)
