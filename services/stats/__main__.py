"""``python -m services.stats``: run one stats instance on its own connections."""

from __future__ import annotations

import sys

from libs.common.serving import main
from services.stats.app import build
from services.stats.settings import StatsSettings

if __name__ == "__main__":
    sys.exit(main(StatsSettings, build))
