"""Distances for the nearest-location search."""

from __future__ import annotations

import pytest

from services.engine.geo import distance_km, format_distance


def test_known_distance_shanghai_to_beijing() -> None:
    assert distance_km(31.2397, 121.4998, 39.9155, 116.3575) == pytest.approx(1070, rel=0.02)


def test_zero_and_symmetry() -> None:
    assert distance_km(31.0, 121.0, 31.0, 121.0) == 0
    a = distance_km(31.2, 121.4, 31.3, 121.5)
    assert a == pytest.approx(distance_km(31.3, 121.5, 31.2, 121.4))


def test_format_distance() -> None:
    assert format_distance(0.234) == "230 米"
    assert format_distance(2.345) == "2.3 公里"
