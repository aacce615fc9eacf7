"""Customer-service settings shared by every service that changes sessions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from libs.common.settings import CommonSettings


class CsSettings(CommonSettings):
    """Assignment and rating rules; the engine and the admin API must agree on them."""

    # Which online agent with free capacity gets the next session: the one with the fewest open
    # sessions ("least_busy") or the one who waited longest since their last ("round_robin").
    cs_assignment: Literal["least_busy", "round_robin"] = "least_busy"
    # How long after a close the follower's "1".."5" counts as the rating.
    cs_rating_window_s: float = Field(default=600.0, gt=0)
    # Customer-service sends WeChat allows per customer message (docs/wechat-protocol.md §8.2).
    cs_window_sends: int = Field(default=5, ge=1)
    # Idle timeout of sessions whose account has no setting of its own (R-PERF-4).
    cs_idle_timeout_s: float = Field(default=600.0, gt=0)
    # Sessions an agent serves at once unless a supervisor sets their own cap (R-PERF-2).
    cs_default_cap: int = Field(default=10, ge=1, le=100)
    # A queued follower is told their new place once it improved by this many (0: never).
    cs_position_step: int = Field(default=3, ge=0)
