"""``python -m services.engine``: run one engine instance on its own connections."""

from __future__ import annotations

import sys

from libs.common.serving import main
from services.engine.app import build
from services.engine.settings import EngineSettings

if __name__ == "__main__":
    sys.exit(main(EngineSettings, build))
