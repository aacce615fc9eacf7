"""``python -m services.admin_api.openapi_schema OUT``: write the admin API's OpenAPI schema.

The admin app generates its TypeScript payload types from this file (``make web-types``), so a
changed API breaks the app's type check instead of its users.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import cast

from services.admin_api.app import create_app
from services.admin_api.state import AdminState


def main(argv: list[str]) -> None:
    """Write the schema to ``argv[0]`` (stdout without an argument)."""
    app = create_app(cast(AdminState, None))  # routes only: nothing is served
    text = json.dumps(app.openapi(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    if argv:
        Path(argv[0]).parent.mkdir(parents=True, exist_ok=True)
        Path(argv[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main(sys.argv[1:])
