"""One router per resource; ``ROUTERS`` is what the app mounts."""

from __future__ import annotations

from fastapi import APIRouter

from services.admin_api.api.routes import (
    accounts,
    applications,
    audiences,
    audit,
    auth,
    commands,
    config_files,
    cs,
    customers,
    dead_letters,
    follower_sync,
    heartbeats,
    locations,
    materials,
    menus,
    orgs,
    publications,
    reminders,
    roles,
    simulator,
    stats,
    users,
)

ROUTERS: list[APIRouter] = [
    auth.router,
    orgs.router,
    users.router,
    roles.router,
    *accounts.ROUTERS,
    follower_sync.router,
    commands.router,
    reminders.router,
    locations.router,
    menus.router,
    *materials.ROUTERS,
    audiences.router,
    *publications.ROUTERS,
    config_files.router,
    *customers.ROUTERS,
    applications.router,
    audit.router,
    dead_letters.router,
    simulator.router,
    stats.router,
    heartbeats.router,
    *cs.ROUTERS,
]
