"""Human customer service shared by the engine (followers' side) and the admin API (agents' side).

``workflow`` owns every state change of a session (queued → assigned → closed, transfer, rating)
and returns its :class:`~libs.common.cs.effects.Effects`: the events, customer notices and console
feed items to publish once the caller's transaction has committed.
"""
