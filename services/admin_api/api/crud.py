"""Former name of :mod:`services.admin_api.api.route_factory`, kept only for ``routes/menus.py``
until it imports the new name; nothing else may use it."""

from __future__ import annotations

from services.admin_api.api.route_factory import AccountResource, mount

__all__ = ["AccountResource", "mount"]
