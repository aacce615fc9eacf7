"""No request of the admin API or the business API hops to a thread: FastAPI runs a plain
``def`` endpoint or dependency (or a sync generator) in its thread pool, which costs every request
a thread hop and GIL hand-overs under load."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

from services.admin_api.api.routes import ROUTERS
from services.gateway.api.routes import jobs, notifications

# FastAPI's own form class (a class dependency is always built in the pool): once per login,
# not on the request path of an agent or a business system.
ALLOWED = {"/api/v1/auth/login: OAuth2PasswordRequestForm"}


def _runs_on_the_loop(call: Any) -> bool:
    if inspect.iscoroutinefunction(call) or inspect.isasyncgenfunction(call):
        return True
    method = getattr(call, "__call__", None)  # noqa: B004 - dependency classes (Require, bearer)
    return inspect.iscoroutinefunction(method) or inspect.isasyncgenfunction(method)


def _threaded(router: APIRouter) -> list[str]:
    found: list[str] = []

    def visit(route: APIRoute, dependant: Any) -> None:
        for dep in dependant.dependencies:
            if dep.call is not None and not _runs_on_the_loop(dep.call):
                found.append(f"{route.path}: {getattr(dep.call, '__qualname__', dep.call)}")
            visit(route, dep)

    for route in router.routes:
        assert isinstance(route, APIRoute)
        if not _runs_on_the_loop(route.endpoint):
            found.append(f"{route.path}: {route.endpoint.__qualname__}")
        visit(route, route.dependant)
    return found


def test_every_endpoint_and_dependency_runs_on_the_event_loop() -> None:
    routers = [*ROUTERS, notifications.router, jobs.router]
    assert sum(len(r.routes) for r in routers) > 50
    assert [hit for router in routers for hit in _threaded(router) if hit not in ALLOWED] == []


def test_the_check_sees_a_plain_def_dependency() -> None:
    from fastapi import Depends

    def plain() -> int:
        return 1

    router = APIRouter()

    @router.get("/x")
    async def endpoint(value: int = Depends(plain)) -> int:
        return value

    assert _threaded(router) == ["/x: test_the_check_sees_a_plain_def_dependency.<locals>.plain"]
