"""``python -m services.dispatcher``: run one dispatcher instance on its own connections."""

from __future__ import annotations

import sys

from libs.common.serving import main
from services.dispatcher.app import build
from services.dispatcher.settings import DispatcherSettings

if __name__ == "__main__":
    sys.exit(main(DispatcherSettings, build))
