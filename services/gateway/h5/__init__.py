"""Second-level pages (二级页面, R-EN-5) served by the gateway under ``/h5/``."""

from services.gateway.h5.routes import BindPage, install_h5

__all__ = ["BindPage", "install_h5"]
