"""Settings shared by every service: what production refuses to start with."""

from __future__ import annotations

import secrets

import pytest
from pydantic import ValidationError

from libs.common.settings import DEV_SECRET_KEY, CommonSettings

STRONG = secrets.token_urlsafe(48)


@pytest.mark.parametrize(
    "secret_key",
    [DEV_SECRET_KEY, "", "short-but-not-empty", "x" * 64, secrets.token_hex(16)],
    # Stable ids: parallel workers must collect the same names for these random values.
    ids=["dev-key", "empty", "short", "repeated", "hex-16"],
)
def test_prod_refuses_missing_dev_or_weak_secret_keys(secret_key: str) -> None:
    with pytest.raises(ValidationError, match="WXHUB_SECRET_KEY"):
        CommonSettings(env="prod", secret_key=secret_key)


def test_prod_accepts_a_random_key_and_dev_accepts_anything() -> None:
    assert CommonSettings(env="prod", secret_key=STRONG).secret_key == STRONG
    assert CommonSettings(env="dev", secret_key="short").secret_key == "short"


def test_prod_refuses_the_dev_key_kept_as_a_previous_key() -> None:
    with pytest.raises(ValidationError, match="WXHUB_SECRET_KEY"):
        CommonSettings(env="prod", secret_key=STRONG, previous_secret_keys=(DEV_SECRET_KEY,))


def test_previous_keys_come_from_the_environment_as_a_json_list(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WXHUB_PREVIOUS_SECRET_KEYS", '["old-one", "old-two"]')
    assert CommonSettings().previous_secret_keys == ("old-one", "old-two")
