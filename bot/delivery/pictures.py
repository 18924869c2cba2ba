"""Pictures drawn when their message is delivered (the dashboard chart; any later picture).

A handler never draws: drawing a chart costs as much as every dashboard query
together and would hold up the platform's acknowledgement. It writes an `Image`
part whose `drawer` names a function marked `@drawer` in `bot.features` and whose
`figures` (JSON) are everything that function needs; the outbox row carries both,
so a restart between the command and the delivery loses nothing. Before sending,
the deliverer calls `PictureWorker.ready`, which draws every image whose file is
not on disk yet — in a worker process by default, so the event loop never waits
on matplotlib and the bot's own process never imports it. The handler names the
file after what the picture shows, so a redelivery finds it drawn.

`bench/stats.py` measures process against thread; see bench/RESULTS.md.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bot.core.messages import Image, Message
from bot.core.worker_process import worker_pool

Drawer = Callable[[dict[str, Any], Path], None]
_MARK = "__mentorbot_drawer__"
_ALLOWED = "bot.features."  # a drawer named in a stored row can only be one of ours
MODES = ("process", "thread")


class PictureError(Exception):
    """The picture could not be drawn (the deliverer retries the row later)."""


def drawer(function: Drawer) -> Drawer:
    """Mark a function `(figures, path) -> None` as one an outbox row may name."""
    setattr(function, _MARK, True)
    return function


def drawer_name(function: Drawer) -> str:
    """The name to store in `Image.drawer` for a function marked with `@drawer`."""
    if not getattr(function, _MARK, False):
        raise ValueError(f"{function.__qualname__} is not marked @drawer")
    return f"{function.__module__}:{function.__qualname__}"


def _resolve(name: str) -> Drawer:
    module_name, _, attribute = name.partition(":")
    if not module_name.startswith(_ALLOWED) or not attribute.isidentifier():
        raise PictureError(f"{name!r} is not a picture drawer")
    function = getattr(importlib.import_module(module_name), attribute, None)
    if function is None or not getattr(function, _MARK, False):
        raise PictureError(f"{name!r} is not a picture drawer")
    return function


def draw(name: str, figures: str, path: str) -> str:
    """Draw one picture into `path` (runs in the worker).

    Drawn under a unique name and renamed into place, so two deliverers drawing
    the same picture at once never send half a file; 0600 like every file we keep."""
    target = Path(path)
    if target.suffix != ".png":
        raise PictureError("pictures are PNG files")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    scratch = target.with_name(f"{target.stem}.{uuid.uuid4().hex[:8]}.tmp.png")
    try:
        _resolve(name)(json.loads(figures), scratch)
        os.chmod(scratch, 0o600)
        os.replace(scratch, target)
    finally:
        scratch.unlink(missing_ok=True)
    return path


def _warm() -> bool:
    """Import the drawing library once when the worker starts, not on the first chart."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # noqa: F401

    return True


class PictureWorker:
    """Draws pictures off the event loop: one worker process (default) or one thread."""

    def __init__(self, mode: str = "process") -> None:
        if mode not in MODES:
            raise ValueError(f"picture worker must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self._pool: Executor | None = None
        self._warming: Future[bool] | None = None

    def _executor(self) -> Executor:
        if self._pool is None:
            if self.mode == "process":
                self._pool = worker_pool()
            else:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pictures")
        return self._pool

    def prepare(self) -> None:
        """Start the worker and its import of matplotlib now, without waiting: a handler that
        is about to queue a picture calls this, so the start overlaps its own queries instead
        of delaying the delivery. Once per worker; later calls cost nothing. A thread worker
        does not: importing matplotlib there would hold the GIL the queries need."""
        if self.mode == "process" and self._warming is None:
            self._warming = self._executor().submit(_warm)

    async def ready(self, message: Message) -> Message:
        """The message with every picture drawn (parts unchanged; their files now exist)."""
        for part in message.parts:
            if isinstance(part, Image) and part.drawer and not await asyncio.to_thread(os.path.exists, part.path):
                try:
                    await asyncio.get_running_loop().run_in_executor(
                        self._executor(), draw, part.drawer, part.figures, part.path
                    )
                except PictureError:
                    raise
                except Exception as exc:  # a broken worker or a bug in a drawer: retried later
                    if self.mode == "process":
                        self.close()  # a dead process pool stays broken: start a new one next time
                    raise PictureError(f"{type(exc).__name__}: {exc}"[:200]) from exc
        return message

    def close(self) -> None:
        self._warming = None
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_shared: dict[str, PictureWorker] = {}


def picture_worker(mode: str = "process") -> PictureWorker:
    """The process-wide worker for `mode` (one worker process serves every deliverer)."""
    if mode not in _shared:
        _shared[mode] = PictureWorker(mode)
    return _shared[mode]
