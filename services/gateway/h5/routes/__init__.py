"""``/h5/bind`` (GET shows the form, POST checks and binds), ``/h5/unbind`` (GET asks to
confirm, POST removes the binding) and ``/h5/subscriptions`` (GET shows the reminder types with
the customer's choices, POST stores them), ``/h5/phone`` (GET shows the form, POST sends a
code or checks it, ``h5/phone.py``), ``/h5/apply`` (GET shows the application form, POST sends
a code or submits, ``h5/applications.py``), ``/h5/transfer`` (GET only: the way into mobile
banking); ``/h5/oauth/{account}/{page}`` opens any of them through WeChat's web authorisation
instead of a chat link (``h5/oauth.py``).

One module here per page family (``binding``, ``subscriptions``, ``phone``, ``applications``,
``transfer``); ``guards`` holds the checks every page runs first (and their order on POST),
``codes`` what the code-texting pages say about a code, ``h5_pages`` assembles them all.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from libs.common.resources import Resources
from services.gateway.h5.routes.h5_pages import H5Pages
from services.gateway.settings import GatewaySettings

__all__ = ["H5Pages", "install_h5"]


def install_h5(api: FastAPI, settings: GatewaySettings, resources: Resources) -> H5Pages:
    """Mount the ``/h5/`` pages on the gateway's app; the caller starts and stops them."""
    page = H5Pages(settings, resources)
    router = APIRouter(prefix="/h5", include_in_schema=False)
    router.add_api_route("/bind", page.binding.show, methods=["GET"])
    router.add_api_route("/bind", page.binding.submit, methods=["POST"])
    router.add_api_route("/unbind", page.binding.show_unbind, methods=["GET"])
    router.add_api_route("/unbind", page.binding.submit_unbind, methods=["POST"])
    router.add_api_route("/subscriptions", page.subscriptions.show, methods=["GET"])
    router.add_api_route("/subscriptions", page.subscriptions.submit, methods=["POST"])
    router.add_api_route("/phone", page.phone.show, methods=["GET"])
    router.add_api_route("/phone", page.phone.submit, methods=["POST"])
    router.add_api_route("/apply", page.applications.show, methods=["GET"])
    router.add_api_route("/apply", page.applications.submit, methods=["POST"])
    router.add_api_route("/transfer", page.transfer.show, methods=["GET"])
    router.add_api_route("/oauth/{account}/{page}", page.oauth.start, methods=["GET"])
    router.add_api_route("/oauth/{account}/{page}/callback", page.oauth.callback, methods=["GET"])
    api.include_router(router)
    return page
