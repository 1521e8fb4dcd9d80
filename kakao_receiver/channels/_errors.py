"""Errors of channel set-up (delivery failures are ``kakao_receiver.DeliveryError``)."""

from __future__ import annotations


class ChannelConfigError(ValueError):
    """A channel's options are wrong; the message names the channel, the option and what is allowed."""


class UnknownChannel(ChannelConfigError):
    """No channel plugin has that name; the message lists the names that exist."""
