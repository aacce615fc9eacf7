"""Config documents (配置文件管理, R-AD-9): parse checks and diffs between versions."""

from __future__ import annotations

import difflib
import json

import yaml

from services.admin_api.errors import FieldError, FieldErrors


def check_syntax(fmt: str, content: str) -> None:
    """Refuse content that does not parse as its declared format (422 naming the line)."""
    try:
        if fmt == "json":
            json.loads(content)
        else:
            yaml.safe_load(content)
    except (ValueError, yaml.YAMLError) as exc:
        raise FieldErrors(
            f"content is not valid {fmt}",
            [FieldError("body.content", str(exc).splitlines()[0][:300], "syntax")],
        ) from exc


def unified_diff(old: str, new: str, old_label: str, new_label: str) -> str:
    """A unified diff of two versions (empty when equal)."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), old_label, new_label
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
