"""Report helpers: the grain a range allows and percentiles from latency histograms."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from libs.common.stats_reports import grain_for, percentile


@pytest.mark.parametrize(
    ("since", "until", "grain"),
    [
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC), "day"),
        (datetime(2026, 1, 1, 5, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC), "hour"),
        (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, 0, 30, tzinfo=UTC), "minute"),
    ],
)
def test_the_coarsest_grain_that_fits_the_range(
    since: datetime, until: datetime, grain: str
) -> None:
    assert grain_for(since, until) == grain


def test_percentiles_are_bucket_upper_bounds() -> None:
    counts = {100: 50, 500: 40, 60_000: 10}
    assert percentile(counts, 0.5) == 100
    assert percentile(counts, 0.9) == 500
    assert percentile(counts, 0.99) == 60_000
    assert percentile({}, 0.5) == 0
