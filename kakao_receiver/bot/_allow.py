"""Who may act on which cluster, and who may read its status; pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ._settings import EVERYONE


@dataclass(frozen=True)
class Actor:
    """A chat user: ``platform`` (``kakaowork`` or ``kakaotalk``) and the id it gives them."""

    platform: str
    user: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user}"


@dataclass(frozen=True)
class AllowList:
    """``allow`` (may act) and ``viewers`` (may also read), each ``{cluster or "*": ids}``.

    Acting needs the actor's id under ``"*"`` or under the cluster. Reading a cluster's status
    is open to whoever may act on it and to ``viewers`` (``"*"`` in a list there: everyone).
    Help is open to everyone.
    """

    allow: Mapping[str, frozenset[str]]
    viewers: Mapping[str, frozenset[str]]

    def may_act(self, actor: Actor, cluster: str) -> bool:
        return _listed(self.allow, str(actor), cluster)

    def may_view(self, actor: Actor, cluster: str) -> bool:
        return self.may_act(actor, cluster) or _listed(self.viewers, str(actor), cluster, anyone=True)


def _listed(lists: Mapping[str, frozenset[str]], person: str, cluster: str, anyone: bool = False) -> bool:
    for key in (EVERYONE, cluster):
        ids = lists.get(key, frozenset())
        if person in ids or (anyone and EVERYONE in ids):
            return True
    return False
