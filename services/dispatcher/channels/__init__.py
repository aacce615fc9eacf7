"""Outbound channels as plugins: a registry keyed by channel name (R-OUT-8)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult

__all__ = ["Channel", "ChannelRegistry", "Outcome", "Outgoing", "SendResult"]


class ChannelRegistry:
    """Channels by name (``wechat_custom``, ``wechat_template``, ``sms``, or any plug-in)."""

    def __init__(self, channels: Iterable[Channel] = ()) -> None:
        self._channels: dict[str, Channel] = {}
        for channel in channels:
            self.register(channel)

    def register(self, channel: Channel) -> None:
        """Add a channel; a second channel with the same name replaces the first."""
        self._channels[channel.name] = channel

    def get(self, name: str) -> Channel | None:
        """The channel called ``name``, if registered."""
        return self._channels.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._channels

    def __iter__(self) -> Iterator[Channel]:
        return iter(self._channels.values())

    async def aclose(self) -> None:
        """Close every channel."""
        for channel in self._channels.values():
            await channel.aclose()
