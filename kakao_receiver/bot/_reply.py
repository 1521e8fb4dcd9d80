"""Telling a KakaoWork user what their button did: KakaoWork takes ``{}`` as the answer to a
button, so the outcome goes to the conversation as a message of its own, sent in the background
so that the callback's answer is not held up."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._channel import Channel, DeliveryError

log = logging.getLogger("kakao_receiver.bot")
TEXT_LIMIT = 500


class ChannelReply:
    """``reply(conversation_id, text)`` through a KakaoWork ``Channel``, on ``workers`` background threads."""

    def __init__(self, channel: Channel, workers: int = 2) -> None:
        self.channel = channel
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="khp-bot-reply")

    def __call__(self, conversation: str, text: str) -> None:
        self._pool.submit(self._send, conversation, text)

    def _send(self, conversation: str, text: str) -> None:
        try:
            self.channel.send(conversation, reply_payload(text))
        except DeliveryError as exc:
            log.warning("could not tell KakaoWork conversation %s the bot's answer: %s", conversation, exc)

    def close(self) -> None:
        self._pool.shutdown(wait=True)


def reply_payload(text: str) -> dict[str, Any]:
    """A plain KakaoWork message: the preview and the text in blocks of at most 500 characters."""
    chunks = [text[start : start + TEXT_LIMIT] for start in range(0, len(text), TEXT_LIMIT)] or [""]
    return {
        "text": chunks[0],
        "blocks": [{"type": "text", "text": chunk, "markdown": False} for chunk in chunks if chunk],
    }
