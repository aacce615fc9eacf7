"""Fault injection shared by the sandboxes: latency, HTTP errors and canned answers.

A fault is described by a JSON object (the body of ``POST /__sandbox__/faults``):

``path``
    The request path it applies to: exact (``/send``), a glob (``/v1/funds/*``) or ``*``.
``latency_ms``
    Delay before answering; with no other effect the request then proceeds normally.
``http_status``
    Answer with this HTTP status instead of running the endpoint.
``body``
    Answer with this JSON object (status ``http_status`` or 200).
``count``
    Fire this many times, then disappear (default: unlimited).
``percent``
    Fire on this share of matching requests (default 100).
``seed``
    Seed of the fault's own random generator, so percent faults repeat exactly.

Each sandbox adds its own answer kinds (``errcode`` for WeChat, ``ok: false`` for SMS) through a
shaper. For one request every matching fault that fires adds its latency; the first one that
carries an answer ends the request.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

JsonObject = dict[str, Any]

_COMMON_KEYS = frozenset({"path", "latency_ms", "http_status", "body", "count", "percent", "seed"})


class FaultSpecError(ValueError):
    """A fault description that cannot be applied."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A canned HTTP answer: status code and JSON body."""

    status: int
    body: JsonObject


# Turns the sandbox-specific keys of a spec into an answer (or None), raising FaultSpecError.
AnswerShaper = Callable[[Mapping[str, Any]], Answer | None]
# Default body for an injected HTTP status without an explicit ``body``.
StatusBody = Callable[[int], JsonObject]


@dataclass(slots=True)
class Fault:
    """One armed fault."""

    path: str
    latency_s: float
    answer: Answer | None
    remaining: int | None
    percent: float
    rng: random.Random
    spec: JsonObject = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        """Whether this fault targets ``path``."""
        if self.path == path or self.path == "*":
            return True
        return "*" in self.path and fnmatchcase(path, self.path)

    def fire(self) -> bool:
        """Roll the dice once; consume one shot when it fires."""
        if self.percent < 100 and self.rng.random() * 100 >= self.percent:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the armed faults decided for one request."""

    latency_s: float
    answer: Answer | None


_NO_FAULT = Outcome(0.0, None)


class FaultBook:
    """The armed faults of one sandbox."""

    def __init__(
        self,
        *,
        extra_keys: frozenset[str] = frozenset(),
        shaper: AnswerShaper | None = None,
        status_body: StatusBody | None = None,
    ) -> None:
        self._faults: list[Fault] = []
        self._extra_keys = extra_keys
        self._shaper = shaper
        self._status_body = status_body or (lambda status: {"error": f"injected HTTP {status}"})

    def __len__(self) -> int:
        return len(self._faults)

    def add(self, spec: Mapping[str, Any]) -> Fault:
        """Validate ``spec`` and arm it."""
        fault = self._parse(spec)
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every fault."""
        self._faults.clear()

    def describe(self) -> list[JsonObject]:
        """The armed faults as JSON, with their remaining shots."""
        return [{**f.spec, "remaining": f.remaining} for f in self._faults]

    def decide(self, path: str) -> Outcome:
        """Roll every fault matching ``path`` and say what to do with the request."""
        if not self._faults:
            return _NO_FAULT
        latency = 0.0
        answer: Answer | None = None
        for fault in self._faults:
            if answer is not None or not fault.matches(path) or not fault.fire():
                continue
            latency += fault.latency_s
            answer = fault.answer
        self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return Outcome(latency, answer)

    def _parse(self, spec: Mapping[str, Any]) -> Fault:
        unknown = set(spec) - _COMMON_KEYS - self._extra_keys
        if unknown:
            raise FaultSpecError(f"unknown fault keys: {sorted(unknown)}")
        path = spec.get("path")
        if not isinstance(path, str) or not path:
            raise FaultSpecError("path is required")
        latency_ms = _number(spec, "latency_ms", 0, minimum=0)
        count = spec.get("count")
        if count is not None and (not _is_int(count) or count < 1):
            raise FaultSpecError("count must be a positive integer")
        percent = _number(spec, "percent", 100, minimum=0)
        if percent > 100:
            raise FaultSpecError("percent must be within 0..100")
        seed = spec.get("seed")
        if seed is not None and not _is_int(seed):
            raise FaultSpecError("seed must be an integer")
        answer = self._answer(spec)
        if answer is None and latency_ms == 0:
            raise FaultSpecError("a fault needs latency_ms or an answer")
        return Fault(
            path=path,
            latency_s=latency_ms / 1000,
            answer=answer,
            remaining=count,
            percent=percent,
            rng=random.Random(seed),
            spec=dict(spec),
        )

    def _answer(self, spec: Mapping[str, Any]) -> Answer | None:
        status = spec.get("http_status")
        if status is not None and (not _is_int(status) or not 100 <= status <= 599):
            raise FaultSpecError("http_status must be an HTTP status code")
        body = spec.get("body")
        if body is not None:
            if not isinstance(body, dict):
                raise FaultSpecError("body must be a JSON object")
            return Answer(status or 200, body)
        if status is not None:
            return Answer(status, self._status_body(status))
        return self._shaper(spec) if self._shaper else None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(spec: Mapping[str, Any], key: str, default: float, *, minimum: float) -> float:
    value = spec.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise FaultSpecError(f"{key} must be a number >= {minimum:g}")
    return float(value)
