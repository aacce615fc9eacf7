"""Which proxy a send goes through (a fund company may reach WeChat only through one).

An explicit ``proxy`` URL, else
``HTTPS_PROXY``/``HTTP_PROXY`` from the environment; ``NO_PROXY`` exempts hosts in both cases.
``https`` origins are tunnelled with ``CONNECT`` and TLS is started inside the tunnel; ``http``
origins are sent to the proxy in absolute form. ``user:password@`` in the proxy URL becomes
``Proxy-Authorization: Basic``. Pooled connections stay per origin, so a tunnel is reused.
"""

from __future__ import annotations

import base64
import urllib.request
from dataclasses import dataclass

import httpx


@dataclass(frozen=True)
class Proxy:
    """Where to connect instead of the origin, and the header that authenticates us there."""

    host: str
    port: int
    authorization: bytes | None

    @classmethod
    def parse(cls, url: str) -> Proxy:
        """``http://[user:password@]host[:port]`` (only plain-HTTP proxies are supported)."""
        parsed = httpx.URL(url if "://" in url else f"http://{url}")
        if parsed.scheme != "http":
            raise ValueError(f"unsupported proxy scheme {parsed.scheme!r} (use http://)")
        authorization = None
        if parsed.username:
            token = base64.b64encode(f"{parsed.username}:{parsed.password}".encode())
            authorization = b"Basic " + token
        return cls(parsed.host, parsed.port or 80, authorization)


def proxy_for(scheme: str, host: str, explicit: str | None) -> Proxy | None:
    """The proxy for an origin: ``explicit``, else the environment's; None when exempt."""
    environment = urllib.request.getproxies_environment()
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if environment.get("no") and bypass(host, environment):
        return None
    url = explicit or environment.get(scheme)
    return Proxy.parse(url) if url else None
