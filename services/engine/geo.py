"""Great-circle distances for the nearest-location search."""

from __future__ import annotations

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_KM = 6371.0088


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance between two WGS-84 points, in kilometres."""
    dlat = radians(lat2 - lat1)
    dlon = radians(lon2 - lon1)
    a = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(a))


def format_distance(km: float) -> str:
    """Human distance: metres under 1 km, otherwise one decimal kilometre."""
    if km < 1:
        return f"{round(km * 1000 / 10) * 10:.0f} 米"
    return f"{km:.1f} 公里"
