"""``.env.example`` lists every setting with its default and is regenerated with the code."""

from __future__ import annotations

from wxhub.env_example import render
from wxhub.processes import REPO_ROOT
from wxhub.services import catalogue


def test_committed_env_example_is_current() -> None:
    committed = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    assert committed == render(), "stale: run `wxhub env-example > .env.example`"


def test_every_setting_of_every_service_is_listed_with_its_default() -> None:
    text = render()
    for entry in catalogue().values():
        for name in entry.settings.model_fields:
            assert f"WXHUB_{name.upper()}=" in text, name
    assert "# WXHUB_GATEWAY_PORT=8080\n" in text
    assert "# WXHUB_LOG_JSON=false\n" in text
    assert "# WXHUB_AMQP_URL=\n" in text  # no default: the in-process bus
