"""Group commit: many concurrent callers share one database transaction.

A :class:`GroupCommit` collects the items its callers submit while earlier batches are being
written and writes them together as soon as a slot frees up. At low load a batch is one item
and nothing waits; under load batches grow by themselves, so round trips and commits per item
shrink exactly when they matter. Each caller gets its own result (or the batch's exception)
back, so it can answer (ack a bus message, reply to HTTP) only after its own write committed.

The gateway's acceptance path and the dispatcher's claims and terminal transitions use it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Runs ``write(items) -> results`` over batches of submitted items, one result per item.

    At most ``max_inflight`` batches are written at once, each of at most ``max_items`` items.
    """

    def __init__(
        self,
        write: Callable[[list[T]], Awaitable[Sequence[R]]],
        *,
        max_items: int = 200,
        max_inflight: int = 2,
    ) -> None:
        self._write = write
        self._max_items = max_items
        self._max_inflight = max_inflight
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._inflight = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()

    async def submit(self, item: T) -> R:
        """Queue ``item`` for the next batch and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        self._schedule()
        # Shielded: a cancelled caller must not cancel the batch the others wait for.
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until the batches being written are done (before closing the database)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _schedule(self) -> None:
        if self._scheduled or not self._queue or self._inflight >= self._max_inflight:
            return
        self._scheduled = True
        # call_soon: everything submitted in this loop iteration joins the same batch.
        asyncio.get_running_loop().call_soon(self._start)

    def _start(self) -> None:
        self._scheduled = False
        while self._queue and self._inflight < self._max_inflight:
            batch, self._queue = self._queue[: self._max_items], self._queue[self._max_items :]
            self._inflight += 1
            task = asyncio.create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except BaseException as exc:  # handed to every waiting caller, then re-raised if fatal
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self._inflight -= 1
            self._schedule()
