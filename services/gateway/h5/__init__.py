"""Second-level pages (二级页面, R-EN-5) served by the gateway under ``/h5/``."""

from services.gateway.h5.routes import H5Pages, install_h5

__all__ = ["H5Pages", "install_h5"]
