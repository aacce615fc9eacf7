"""Annotated dependencies of the notification API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.api.state import NotificationApi
from services.gateway.notifications.config import SystemConfig


def get_api(request: Request) -> NotificationApi:
    """The API's collaborators."""
    api: NotificationApi = request.app.state.notification_api
    return api


def get_system(request: Request) -> SystemConfig:
    """The business system :class:`~services.gateway.api.auth.SignedRoute` authenticated."""
    system: SystemConfig = request.state.system
    return system


ApiDep = Annotated[NotificationApi, Depends(get_api)]
SystemDep = Annotated[SystemConfig, Depends(get_system)]
