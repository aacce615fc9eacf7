"""Every JSON request body of the admin API is documented with an example that its own model
accepts (a stale example would mislead whoever copies it from ``/docs``)."""

from __future__ import annotations

import inspect
import sys

import pytest
from fastapi import FastAPI
from pydantic import BaseModel

from services.admin_api.api.examples import EXAMPLES
from services.admin_api.app import create_app


def _app() -> FastAPI:
    # The OpenAPI document needs no connections: the state is never used here.
    return create_app(None)  # type: ignore[arg-type]


def _models() -> dict[str, list[type[BaseModel]]]:
    """Every pydantic model defined in the admin API's modules, by class name."""
    found: dict[str, list[type[BaseModel]]] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("services.admin_api"):
            continue
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseModel)
                and value.__module__ == name
                and value not in found.get(value.__name__, [])
            ):
                found.setdefault(value.__name__, []).append(value)
    return found


def test_every_json_request_body_has_an_example() -> None:
    app = _app()
    spec = app.openapi()
    bodies = {
        content["schema"]["$ref"].rsplit("/", 1)[-1]
        for path in spec["paths"].values()
        for operation in path.values()
        for media, content in operation.get("requestBody", {}).get("content", {}).items()
        if media == "application/json" and "$ref" in content["schema"]
    }
    assert bodies, "no JSON request bodies found"
    missing = sorted(b for b in bodies if not spec["components"]["schemas"][b].get("examples"))
    assert missing == []
    assert not set(EXAMPLES) - bodies, "examples for schemas no route takes"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_passes_its_model(name: str) -> None:
    _app()
    models = _models()[name]
    assert len(models) == 1, f"{name} names several models: {models}"
    models[0].model_validate(EXAMPLES[name])
