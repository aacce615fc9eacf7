"""The channel plan of a notification: which channels to try in order, and the fallback.

Both come from configuration (``channel_plan``, ``fallback_channel``) through the channel
registry; channels that are not registered (SMS without a gateway URL) are left out. A resumed
delivery (its worker died mid-way) adjusts the plan from the channel recorded on its row: one
that had already switched to the fallback resumes there, and a non-idempotent channel that may
have sent already (a customer-service message has no idempotency key) is not repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.dispatcher.channels import ChannelRegistry
from services.dispatcher.channels.base import Channel
from services.dispatcher.delivery.run import DeliveryRun


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    """The configured order of channels and the fallback channel."""

    channels: tuple[Channel, ...]
    fallback_name: str
    fallback: Channel | None

    @classmethod
    def configure(
        cls, registry: ChannelRegistry, *, order: Sequence[str], fallback: str
    ) -> ChannelPlan:
        """The plan over the registered channels among ``order``."""
        channels = tuple(c for name in order if (c := registry.get(name)) is not None)
        return cls(channels, fallback, registry.get(fallback))

    @property
    def windowed(self) -> str | None:
        """The channel of the plan that sends inside customer-service windows, if any."""
        return next((c.name for c in self.channels if c.windowed), None)

    def for_run(self, run: DeliveryRun) -> list[Channel]:
        """The channels ``run`` tries, in order (its history notes a resume's adjustments)."""
        claimed = run.claimed
        if claimed.channel == self.fallback_name:
            run.note("sending", "resumed in fallback: WeChat was given up before the crash")
            return []
        plan = list(self.channels)
        if claimed.previous == "sending" and claimed.channel is not None:
            unsafe = next((c for c in plan if c.name == claimed.channel and not c.idempotent), None)
            if unsafe is not None:
                # The crashed run may have sent it, and repeating it could duplicate it.
                run.note(
                    "sending",
                    f"resumed: {unsafe.name} outcome unknown, not repeated",
                    channel=unsafe.name,
                )
                run.outcome_unknown = True
                plan.remove(unsafe)
        return plan

    def fallback_allowed(self, run: DeliveryRun) -> bool:
        """Whether the request and its reminder type allow the fallback channel."""
        return (
            self.fallback is not None
            and run.claimed.fallback == self.fallback_name
            and run.config.fallback_allowed
        )
