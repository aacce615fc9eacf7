"""The ``wxhub`` command line as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _wxhub(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WXHUB_")}
    return subprocess.run(
        [sys.executable, "-m", "wxhub.cli", *args],
        cwd=cwd,
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_migrate_in_a_folder_without_var_creates_the_sqlite_database(tmp_path: Path) -> None:
    # The default database URL is ./var/wxhub.db; a fresh clone has no var/ folder.
    result = _wxhub("migrate", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "wxhub.db").is_file()
