"""Outbound channels as plugins (R-OUT-8): a registry keyed by channel name, filled from settings.

Which channels exist is configuration: ``channels`` maps a name to a factory
(``"package.module:function"``) that takes a :class:`ChannelContext` and returns a
:class:`Channel` (or None when it is not configured, e.g. SMS without a gateway URL).
``channel_plan`` lists the channels a notification tries in order and ``fallback_channel`` the
one it falls back to (see :mod:`services.dispatcher.delivery.plan`). A new channel — another
OTT app — is a new module with a factory plus these settings; the delivery core is not edited.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from services.dispatcher.accounts import AccountDirectory, WeChatApis
from services.dispatcher.channels.base import Channel, Outcome, Outgoing, SendResult
from services.dispatcher.settings import DispatcherSettings

__all__ = [
    "Channel",
    "ChannelContext",
    "ChannelRegistry",
    "Outcome",
    "Outgoing",
    "SendResult",
    "load_channels",
]


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


@dataclass
class ChannelContext:
    """What a channel factory may use: settings, HTTP pools of its priority class, accounts."""

    settings: DispatcherSettings
    directory: AccountDirectory
    # A new HTTP client (its own connection pool) of this priority class.
    new_http: Callable[[], httpx.AsyncClient]
    _apis: WeChatApis | None = field(default=None, init=False)

    @property
    def wechat_apis(self) -> WeChatApis:
        """The per-account WeChat message APIs, one pool shared by the WeChat channels."""
        if self._apis is None:
            self._apis = WeChatApis(
                self.directory, self.new_http(), api_base=self.settings.wechat_api_base
            )
        return self._apis

    def options(self, name: str) -> dict[str, Any]:
        """The ``channel_options`` of channel ``name`` (URLs, credentials of a plug-in)."""
        return dict(self.settings.channel_options.get(name, {}))


ChannelFactory = Callable[[ChannelContext], Channel | None]


def load_factory(spec: str) -> ChannelFactory:
    """Import ``"package.module:function"``."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"channel factory {spec!r} is not 'package.module:function'")
    factory: ChannelFactory = getattr(importlib.import_module(module_name), attribute)
    return factory


def load_channels(context: ChannelContext) -> ChannelRegistry:
    """Build every configured channel; the plan must name configured ones."""
    settings = context.settings
    unknown = [name for name in settings.channel_plan if name not in settings.channels]
    if unknown:
        raise ValueError(f"channel_plan names channels that are not configured: {unknown}")
    registry = ChannelRegistry()
    for name, spec in context.settings.channels.items():
        channel = load_factory(spec)(context)
        if channel is None:
            continue
        if channel.name != name:
            raise ValueError(f"channel factory {spec!r} built {channel.name!r}, not {name!r}")
        registry.register(channel)
    return registry
