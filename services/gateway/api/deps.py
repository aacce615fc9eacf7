"""Annotated dependencies of the notification API routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.gateway.api.state import NotificationApi
from services.gateway.notifications.config import SystemConfig


# Coroutines although they do not await: FastAPI runs a plain ``def`` dependency in its thread
# pool, a thread hop on every call of the API.
async def get_api(request: Request) -> NotificationApi:
    """The API's collaborators."""
    api: NotificationApi = request.app.state.notification_api
    return api


async def get_system(request: Request) -> SystemConfig:
    """The business system :class:`~services.gateway.api.auth.SignedRoute` authenticated."""
    system: SystemConfig = request.state.system
    return system


ApiDep = Annotated[NotificationApi, Depends(get_api)]
SystemDep = Annotated[SystemConfig, Depends(get_system)]
