"""Report helpers: the grain a range allows and percentiles from latency histograms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from libs.common.stats_reports import grain_for, percentile


@pytest.mark.parametrize(
    ("since", "until", "grain"),
    [
        ((2026, 1, 1), (2026, 12, 31), "day"),
        ((2026, 1, 1, 5), (2026, 1, 2), "hour"),
        ((2026, 1, 1), (2026, 1, 1, 0, 30), "minute"),
    ],
)
def test_the_coarsest_grain_that_fits_the_range(
    since: tuple[int, ...], until: tuple[int, ...], grain: str
) -> None:
    assert grain_for(datetime(*since, tzinfo=UTC), datetime(*until, tzinfo=UTC)) == grain


def test_percentiles_are_bucket_upper_bounds() -> None:
    counts = {100: 50, 500: 40, 60_000: 10}
    assert percentile(counts, 0.5) == 100
    assert percentile(counts, 0.9) == 500
    assert percentile(counts, 0.99) == 60_000
    assert percentile({}, 0.5) == 0
