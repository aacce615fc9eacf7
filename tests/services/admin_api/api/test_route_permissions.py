"""Every route of the app declares a permission and enforces it: 401 without a token, 403 without
the permission, 404 for an object outside the caller's data scope."""

from __future__ import annotations

import re
from typing import Any

from fastapi.routing import APIRoute

from services.admin_api.api.deps import AUTHENTICATED, Require
from services.admin_api.api.routes import ROUTERS
from services.admin_api.app import create_app
from tests.services.admin_api.scope_fixtures import out_of_scope_objects
from tests.services.admin_api.support import AdminStack

PUBLIC = {("POST", "/api/v1/auth/login"), ("POST", "/api/v1/auth/refresh")}


def _permission(dependant: Any) -> str | None:
    for dep in dependant.dependencies:
        if isinstance(dep.call, Require):
            return dep.call.permission
        found = _permission(dep)
        if found:
            return found
    return None


def api_routes() -> list[tuple[str, str, str | None]]:
    """(method, path, declared permission) of every operation the app serves (per its OpenAPI)."""
    app = create_app(None)  # type: ignore[arg-type]  # routes only, nothing is called
    declared: dict[tuple[str, str], str | None] = {}
    for router in ROUTERS:
        for route in router.routes:
            assert isinstance(route, APIRoute)
            for method in route.methods or ():
                declared[method, route.path] = _permission(route.dependant)
    result = []
    for path, operations in app.openapi()["paths"].items():
        for method in operations:
            key = (method.upper(), path)
            assert key in declared, f"{key} is served but not by a known router"
            result.append((*key, declared[key]))
    return sorted(result)


def test_every_route_declares_a_permission() -> None:
    routes = api_routes()
    assert len(routes) > 20
    undeclared = [(m, p) for m, p, perm in routes if perm is None and (m, p) not in PUBLIC]
    assert undeclared == []


async def test_every_route_rejects_without_token_permission_or_scope(stack: AdminStack) -> None:
    ids = await out_of_scope_objects(stack)
    failures: list[str] = []
    checked_scope = 0
    for method, path, permission in api_routes():
        if (method, path) in PUBLIC:
            continue
        params = re.findall(r"{(\w+)}", path)
        missing = [p for p in params if p not in ids]
        if missing:
            failures.append(f"{method} {path}: no out-of-scope object for {missing}")
            continue
        url = path.format(**{p: ids[p] for p in params})
        anonymous = await stack.client.request(method, url, json={})
        if anonymous.status_code != 401 or anonymous.json().get("code") != "not_authenticated":
            failures.append(f"{method} {path}: anonymous → {anonymous.status_code}")
        if permission != AUTHENTICATED:
            denied = await stack.call("noperm", method, url, json={})
            if denied.status_code != 403 or denied.json().get("code") != "permission_denied":
                failures.append(f"{method} {path}: without {permission} → {denied.status_code}")
            elif denied.json().get("details", {}).get("permission") != permission:
                failures.append(f"{method} {path}: the 403 does not name {permission}")
        if params:
            checked_scope += 1
            outside = await stack.call("sh_super", method, url, json={})
            if outside.status_code != 404 or outside.json().get("code") != "not_found":
                failures.append(f"{method} {path}: outside scope → {outside.status_code}")
    assert failures == []
    assert checked_scope > 10
