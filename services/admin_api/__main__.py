"""``python -m services.admin_api``: run one admin API instance on its own connections."""

from __future__ import annotations

import sys

from libs.common.serving import main
from services.admin_api.app import build
from services.admin_api.settings import AdminSettings

if __name__ == "__main__":
    sys.exit(main(AdminSettings, build))
