"""``python -m services.gateway``: run one gateway instance on its own connections."""

from __future__ import annotations

import sys

from libs.common.serving import main
from services.gateway.app import build
from services.gateway.settings import GatewaySettings

if __name__ == "__main__":
    sys.exit(main(GatewaySettings, build))
