"""Where an ack's time goes, inside the mentorbot child of bench/ack.py (ACK_TRACE=<file>).

A bench-only hook, switched on by the environment variable; nothing in the product changes.
Per request it records (perf_counter seconds, ids and timings only, never a body):

- `pre`: from the aiohttp guard's entry to the inbox middleware's `receive` call
  (signature check, Bolt's parsing, waiting for the loop);
- `save`: time inside `Inbox.receive`, and `tries`: how many insert attempts it took
  (each failed attempt met SQLite's write lock held by another connection);
- `post`: from the end of the save to the response leaving the guard;
- `total`.

Beside that: event-loop lag (a task sleeping 1 ms, recording how late it woke),
garbage-collection pauses (gc.callbacks), and every SQLite commit and statement slower
than 1 ms on any connection of the process (which connection: the inbox saver or the
core's), with the statement's first words. `python -m bench.ack_trace <file>` prints
the slowest requests with what overlapped them.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

_arrived: contextvars.ContextVar[float] = contextvars.ContextVar("ack_trace_arrived", default=0.0)
_request: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("ack_trace_request", default=None)


class Trace:
    def __init__(self, path: str) -> None:
        self.out = open(path, "w")

    def write(self, kind: str, **fields: Any) -> None:
        if not self.out.closed:
            self.out.write(json.dumps({"k": kind, **fields}) + "\n")

    def close(self) -> None:
        self.write("gcstats", stats=gc.get_stats(), objects=len(gc.get_objects()), frozen=gc.get_freeze_count())
        self.out.flush()
        self.out.close()


def install(trace_path: str) -> Trace:
    """Patch the hooks in (call before the app is built)."""
    from aiohttp import web

    import adapters.slack.main as slack_main
    import storage.sqlite_inline as inline
    from bot.delivery.inbox import Inbox

    trace = Trace(trace_path)
    if os.environ.get("ACK_TRACE_BASELINE"):  # A/B: main before this branch (checkpoints in place, no freeze)
        import adapters.ops.long_running as long_running

        long_running.before_start = lambda: None  # type: ignore[assignment]
        long_running.after_start = lambda: None  # type: ignore[assignment]
    original_guard = slack_main.request_guard

    def traced_guard(*args: Any, **kwargs: Any) -> Any:
        inner = original_guard(*args, **kwargs)

        @web.middleware
        async def guard(request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
            start = time.perf_counter()
            record: dict[str, Any] = {"t0": start}
            _arrived.set(start)
            _request.set(record)
            try:
                return await inner(request, handler)
            finally:
                end = time.perf_counter()
                record["total"] = end - start
                record["t1"] = end
                trace.write("req", **record)

        return guard

    slack_main.request_guard = traced_guard  # type: ignore[assignment]

    original_receive = Inbox.receive
    original_insert_once = Inbox._insert_once

    async def receive(self: Any, *args: Any, **kwargs: Any) -> Any:
        record = _request.get()
        begin = time.perf_counter()
        if record is not None:
            record["pre"] = begin - record["t0"]
            record["tries"] = 0
        try:
            return await original_receive(self, *args, **kwargs)
        finally:
            if record is not None:
                record["save"] = time.perf_counter() - begin
                record["saved_at"] = time.perf_counter()

    async def insert_once(self: Any, values: Any) -> Any:
        record = _request.get()
        if record is not None:
            record["tries"] = record.get("tries", 0) + 1
        return await original_insert_once(self, values)

    Inbox.receive = receive  # type: ignore[method-assign]
    Inbox._insert_once = insert_once  # type: ignore[method-assign]

    class TimedCursor(inline._Cursor):
        def execute(self, sql: str, *args: Any) -> Any:
            begin, cpu = time.perf_counter(), time.thread_time()
            try:
                return super().execute(sql, *args)
            finally:
                took = time.perf_counter() - begin
                if took > 0.001:
                    trace.write(
                        "sql",
                        t0=begin,
                        took=took,
                        cpu=time.thread_time() - cpu,
                        db=_which(self.connection),
                        sql=" ".join(sql.split()[:4]),
                    )

    def cursor(self: Any, factory: Any = TimedCursor) -> Any:
        return super(inline._Connection, self).cursor(factory)

    def commit(self: Any) -> None:
        begin, cpu = time.perf_counter(), time.thread_time()
        waits = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw
        try:
            super(inline._Connection, self).commit()
        finally:
            took = time.perf_counter() - begin
            blocked = resource.getrusage(resource.RUSAGE_THREAD).ru_nvcsw - waits  # slept on the disk
            if took > 0.001 or blocked:
                trace.write(
                    "commit", t0=begin, took=took, cpu=time.thread_time() - cpu, db=_which(self), blocked=blocked
                )

    inline._Connection.cursor = cursor  # type: ignore[method-assign]
    inline._Connection.commit = commit  # type: ignore[method-assign]

    gc_start: list[float] = [0.0, 0.0]

    def on_gc(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            gc_start[:] = [time.perf_counter(), time.thread_time()]
        else:
            took = time.perf_counter() - gc_start[0]
            if took > 0.001 or info.get("generation") == 2:
                cpu = time.thread_time() - gc_start[1]
                trace.write("gc", t0=gc_start[0], took=took, cpu=cpu, gen=info.get("generation"))

    gc.callbacks.append(on_gc)
    return trace


_saver_ids: set[int] = set()


def _which(connection: Any) -> str:
    return "inbox" if id(connection) in _saver_ids else "core"


def mark_saver_connections(inbox: Any) -> None:
    """Tag the inbox saver's sqlite3 connections (for `db` in the records)."""
    from sqlalchemy import event

    event.listen(
        inbox._save_db().engine.sync_engine,
        "connect",
        lambda dbapi_connection, _record: _saver_ids.add(id(dbapi_connection)),
    )


def lag_monitor(trace: Trace, every: float = 0.001) -> asyncio.Task[None]:
    """The loop's lag; with ACK_TRACE_STACKS also what the loop was running while it lagged."""
    heartbeat = [time.perf_counter()]
    if os.environ.get("ACK_TRACE_STACKS", "1") != "0":
        StackSampler(trace.out.name + ".stacks", heartbeat).start()

    async def watch() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(every)
            heartbeat[0] = after = time.perf_counter()
            late = after - before - every
            if late > 0.003:
                trace.write("lag", t0=before, took=late)

    return asyncio.create_task(watch())


class StackSampler(threading.Thread):
    """Every few milliseconds: if the loop's heartbeat is older than STALL, the main thread's
    stack (file:function, outermost first) goes to `<trace>.stacks`; once a second each
    thread's CPU time from /proc (which thread of the process used the CPU)."""

    STALL = 0.010

    def __init__(self, path: str, heartbeat: list[float], every: float = 0.004) -> None:
        super().__init__(name="ack-trace-sampler", daemon=True)
        self.out = open(path, "w")
        self.heartbeat = heartbeat
        self.every = every
        self.main = threading.main_thread().ident

    def run(self) -> None:
        next_cpu = last = time.perf_counter()
        while True:
            time.sleep(self.every)
            now = time.perf_counter()
            gap, last = min(now - last, 0.05), now  # this sample stands for the time since the last one
            if now - self.heartbeat[0] > self.STALL:
                frame = sys._current_frames().get(self.main or 0)
                stack: list[str] = []
                while frame is not None:
                    code = frame.f_code
                    stack.append(f"{_short(code.co_filename)}:{code.co_name}")
                    frame = frame.f_back
                sample = {"t": now, "dt": gap, "stalled": now - self.heartbeat[0], "stack": stack[::-1]}
                self.out.write(json.dumps(sample) + "\n")
            if now >= next_cpu:
                next_cpu = now + 1.0
                self.out.write(json.dumps({"t": now, "cpu": _thread_cpu()}) + "\n")
                self.out.flush()


_ROOT = str(Path(__file__).resolve().parent.parent) + "/"


def _short(filename: str) -> str:
    """Project files relative to the repository, libraries from site-packages, the stdlib as py:…"""
    if filename.startswith(_ROOT) and "site-packages/" not in filename:
        return filename[len(_ROOT) :]
    at = filename.find("site-packages/")
    if at >= 0:
        return filename[at + len("site-packages/") :]
    at = filename.find("/lib/python3")
    return "py:" + filename[filename.find("/", at + 1) + 1 :] if at >= 0 else filename


def _thread_cpu() -> dict[str, float]:
    """{thread name (tid): utime+stime seconds} for every thread of this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        out[f"{name}:{task.name}"] = (int(fields[11]) + int(fields[12])) / ticks
    return out


# --- the report -------------------------------------------------------------------------


def report(path: str, slowest: int = 20) -> None:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    reqs = sorted((r for r in rows if r["k"] == "req" and "save" in r), key=lambda r: r["total"])
    others = [r for r in rows if r["k"] not in ("req", "gcstats")]
    stats = [r for r in rows if r["k"] == "gcstats"]
    if not reqs:
        print("no requests")
        return
    n = len(reqs)

    def pct(key: str, q: float) -> float:
        values = sorted(r.get(key, 0.0) for r in reqs)
        return values[min(n - 1, int(n * q))] * 1000

    print(f"{n} requests; ms p50/p99/max:")
    for key in ("total", "pre", "save", "post"):
        if key == "post":
            for r in reqs:
                r["post"] = r["t1"] - r["saved_at"]
        print(f"  {key:6} {pct(key, 0.5):7.1f} {pct(key, 0.99):7.1f} {pct(key, 1.0) - 0:7.1f}")
    retried = [r for r in reqs if r.get("tries", 1) > 1]
    print(f"  saves that met the lock: {len(retried)} (max tries {max((r.get('tries', 1) for r in reqs), default=0)})")
    for kind in ("lag", "gc", "commit", "sql"):
        items = [o for o in others if o["k"] == kind]
        if items:
            worst = sorted(o["took"] for o in items)
            cpu = sorted(o.get("cpu", 0) for o in items)
            print(
                f"  {kind:6}: {len(items)} over threshold, sum {sum(worst) * 1000:.0f} ms, "
                f"max {worst[-1] * 1000:.1f} ms, p90 {worst[int(len(worst) * 0.9)] * 1000:.1f} ms; "
                f"cpu sum {sum(cpu) * 1000:.0f} max {cpu[-1] * 1000:.1f}"
            )
    commits = [o for o in others if o["k"] == "commit" and o.get("blocked")]
    print(
        f"  commits that slept on the disk (voluntary context switch): {len(commits)}, "
        f"wall ms: {sorted(round(o['took'] * 1000, 1) for o in commits)[-10:]}"
    )
    gen2 = [o for o in others if o["k"] == "gc" and o.get("gen") == 2]
    if gen2:
        print(
            "  gen2 collections (wall/cpu ms):", " ".join(f"{o['took'] * 1000:.0f}/{o['cpu'] * 1000:.0f}" for o in gen2)
        )
    for o in stats:
        if True:
            print("  gc stats at the end:", o["stats"], "objects", o["objects"], "frozen", o["frozen"])
    print(f"slowest {slowest}:")
    for r in reqs[-slowest:]:
        t0, t1 = r["t0"], r["t1"]
        overlap = [
            f"{o['k']}{'/' + o.get('db', '') if 'db' in o else ''}{'/' + o['sql'] if 'sql' in o else ''}"
            f"{'/g' + str(o['gen']) if 'gen' in o else ''}={o['took'] * 1000:.1f}"
            for o in others
            if o["t0"] < t1 and o["t0"] + o["took"] > t0
        ]
        post = r["t1"] - r["saved_at"]
        print(
            f"  total {r['total'] * 1000:6.1f} pre {r['pre'] * 1000:6.1f} save {r['save'] * 1000:6.1f} "
            f"(tries {r.get('tries')}) post {post * 1000:6.1f} | {' '.join(overlap[:12])}"
        )


_OURS = ("bot/", "storage/", "adapters/", "bench/")


def report_stacks(path: str, top: int = 25) -> None:
    """What the loop ran while it was stalled (`<trace>.stacks`), and which thread used the CPU."""
    from collections import Counter

    lines = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    samples = [x for x in lines if "stack" in x]
    cpus = [x for x in lines if "cpu" in x]
    if samples:
        print(f"{len(samples)} samples of a stalled loop, {sum(x['dt'] for x in samples):.1f} s in all")
        ours: Counter[str] = Counter()
        chains: Counter[str] = Counter()
        leaf: Counter[str] = Counter()
        for x in samples:
            stack, ms = x["stack"], x["dt"] * 1000
            mine = [f for f in stack if f.startswith(_OURS) and "ack_trace" not in f]
            ours[mine[-1] if mine else "(no project frame)"] += ms
            chains[" > ".join(mine[-4:])] += ms
            leaf[stack[-1]] += ms
        for title, counter in (("innermost project frame", ours), ("last 4 project frames", chains), ("leaf", leaf)):
            print(f"by {title}:")
            for name, ms in counter.most_common(top):
                print(f"  {ms:7.0f} ms  {name}")
        start = samples[0]["t"]
        per_second: Counter[int] = Counter()
        for x in samples:
            per_second[int(x["t"] - start)] += x["dt"] * 1000
        print("stalled ms per second:", " ".join(f"{s}:{ms:.0f}" for s, ms in sorted(per_second.items())))
    for before, after in zip(cpus, cpus[1:], strict=False):
        used = {k: after["cpu"][k] - before["cpu"].get(k, 0.0) for k in after["cpu"]}
        busy = {k: round(v, 2) for k, v in used.items() if v >= 0.05}
        print(f"  cpu {after['t'] - cpus[0]['t']:5.1f}s: {busy}")


if __name__ == "__main__":
    if sys.argv[1].endswith(".stacks"):
        report_stacks(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 25)
    else:
        report(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 20)
