"""The core-system sandbox's state (faults and call log) and its routes."""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.routing import Route

from sandboxes.control import control_routes
from sandboxes.core_system.customer_endpoints import (
    agreements,
    balance,
    holdings,
    opening_branch,
    transactions,
)
from sandboxes.core_system.identity import verify_identity
from sandboxes.core_system.market_endpoints import (
    fund_nav,
    fx_rates,
    gold_price,
    promotions,
    wealth_nav,
    yields,
)
from sandboxes.endpoint import Clock, SandboxBase, recorded
from sandboxes.faults import FaultBook
from sandboxes.recording import CallLog


class CoreSystemState(SandboxBase):
    """The core-system sandbox's faults and call log; the data are module constants."""

    def __init__(self, *, call_log_size: int = 10_000, clock: Clock = time.time) -> None:
        super().__init__(
            faults=FaultBook(status_body=lambda status: {"error": f"http_{status}"}),
            calls=CallLog(call_log_size),
            clock=clock,
        )


def build_app(state: CoreSystemState | None = None) -> Starlette:
    """The demo core-system app; its state is ``app.state.sandbox``."""
    core = state or CoreSystemState()
    endpoints = [
        ("/v1/funds/{code}/nav", fund_nav),
        ("/v1/wealth/{code}/nav", wealth_nav),
        ("/v1/fx/rates", fx_rates),
        ("/v1/gold/price", gold_price),
        ("/v1/rates/yields", yields),
        ("/v1/promotions", promotions),
        ("/v1/customers/{customer_no}/balance", balance),
        ("/v1/customers/{customer_no}/transactions", transactions),
        ("/v1/customers/{customer_no}/holdings", holdings),
        ("/v1/customers/{customer_no}/opening-branch", opening_branch),
        ("/v1/customers/{customer_no}/agreements", agreements),
    ]
    routes = [
        Route(path, recorded(core, handler, lambda body: "200"), methods=["GET"])
        for path, handler in endpoints
    ]
    routes.append(
        Route(
            "/v1/identity/verify",
            recorded(core, verify_identity, lambda body: "200"),
            methods=["POST"],
        )
    )
    app = Starlette(routes=[*routes, *control_routes(core)])
    app.state.sandbox = core
    return app
