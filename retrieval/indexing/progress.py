"""Progress of an import that everyone can see: documents and chunks done, MB/s, time left.

``Snapshot`` is plain data built by the indexer; ``Snapshot.line()`` is the Vietnamese line written
every few seconds where there is no terminal (logs, CI, the app), and ``RichReporter`` draws a bar on
a terminal. The estimate of time left is by bytes (documents differ in size by orders of magnitude),
from the bytes that were actually read (unchanged files are skipped in no time and would flatter it).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

STAGES = {"read": "Đọc", "embed": "Nhúng", "write": "Ghi chỉ mục", "checkpoint": "Đã lưu tạm chỉ mục"}


@dataclass(frozen=True)
class Snapshot:
    stage: str  # a key of STAGES
    docs_done: int
    docs_total: int
    chunks: int  # chunks made so far (read) or embedded so far (embed)
    bytes_done: int  # bytes of the files read (not skipped)
    bytes_todo: int  # bytes still to read
    elapsed: float  # seconds since the import started
    work_seconds: float = 0.0  # seconds spent reading the bytes_done (the rate's denominator)
    chunks_total: int = 0  # in the embed stage: chunks to embed
    source: str = ""

    @property
    def mb_per_s(self) -> float | None:
        if self.bytes_done <= 0 or self.work_seconds <= 0:
            return None
        return self.bytes_done / self.work_seconds / 1e6

    @property
    def eta_seconds(self) -> float | None:
        """Seconds left for the current stage, None until there is a rate to go by."""
        if self.stage == "embed":
            if self.chunks <= 0 or self.chunks_total <= 0 or self.work_seconds <= 0:
                return None
            return (self.chunks_total - self.chunks) * self.work_seconds / self.chunks
        rate = self.mb_per_s
        if self.stage != "read" or rate is None:
            return None
        return self.bytes_todo / (rate * 1e6)

    def line(self) -> str:
        parts = [f"{STAGES.get(self.stage, self.stage)}:"]
        if self.stage == "embed":
            parts.append(f"{self.chunks:,}/{self.chunks_total:,} đoạn".replace(",", "."))
        else:
            pct = f" ({100 * self.docs_done / self.docs_total:.0f} %)" if self.docs_total else ""
            parts.append(f"{self.docs_done:,}/{self.docs_total:,} văn bản{pct}".replace(",", "."))
            parts.append(f"· {self.chunks:,} đoạn".replace(",", "."))
            if self.mb_per_s is not None:
                parts.append(f"· {self.mb_per_s:.2f} MB/s".replace(".", ","))
        eta = self.eta_seconds
        parts.append(f"· đã chạy {duration(self.elapsed)}")
        if eta is not None:
            parts.append(f"· còn khoảng {duration(eta)}")
        return " ".join(parts)


class ImportMeter:
    """Progress of one ``build_index`` run, sent as Snapshots to ``emit`` (nothing when it is None)."""

    def __init__(self, items: list, emit: Callable[[Snapshot], None] | None, t0: float) -> None:
        self.emit, self.t0, self.total = emit, t0, len(items)
        self.bytes_todo = sum(_size(i) for i in items) if emit else 0
        self.bytes_done = self.chunks = self.docs = 0
        self.work = 0.0  # seconds spent reading the files counted in bytes_done
        self.embed_t0: float | None = None

    def skipped(self, path: Path, chunks: int) -> None:
        self.bytes_todo -= _size(path)
        self.chunks += chunks

    def read(self, path: Path, seconds: float, chunks: int) -> None:
        size = _size(path)
        self.bytes_todo -= size
        self.bytes_done += size
        self.work += seconds
        self.chunks += chunks

    def file_done(self, n: int) -> None:
        self.docs = n
        self.stage("read")

    def embedded(self, done: int, total: int) -> None:
        if self.emit is None:
            return
        self.embed_t0 = self.embed_t0 or time.perf_counter()
        work = time.perf_counter() - self.embed_t0
        elapsed = time.perf_counter() - self.t0
        self.emit(Snapshot("embed", self.docs, self.total, done, 0, 0, elapsed, work, total))
        if done >= total:
            self.stage("write")

    def stage(self, name: str) -> None:
        if self.emit is None:
            return
        elapsed = time.perf_counter() - self.t0
        todo = max(0, self.bytes_todo)
        self.emit(
            Snapshot(name, self.docs, self.total, self.chunks, self.bytes_done, todo, elapsed, self.work)
        )


def _size(item) -> int:
    try:
        return item.stat().st_size if isinstance(item, Path) else 0
    except OSError:
        return 0


def duration(seconds: float) -> str:
    """'45 giây', '3 phút 05 giây', '1 giờ 02 phút' (Vietnamese, rounded to what matters)."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s} giây"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m} phút {s:02d} giây"
    h, m = divmod(m, 60)
    return f"{h} giờ {m:02d} phút"


class Throttle:
    """Calls ``emit`` at most every ``every`` seconds, plus at each stage change and at ``close``."""

    def __init__(self, emit: Callable[[Snapshot], None], every: float = 5.0, clock=time.monotonic) -> None:
        self.emit, self.every, self.clock = emit, every, clock
        self._last: float | None = None
        self._stage: str | None = None
        self._pending: Snapshot | None = None

    def __call__(self, snap: Snapshot) -> None:
        now = self.clock()
        if self._last is None or snap.stage != self._stage or now - self._last >= self.every:
            self.emit(snap)
            self._last, self._stage, self._pending = now, snap.stage, None
        else:
            self._pending = snap

    def close(self) -> None:
        if self._pending is not None:
            self.emit(self._pending)
            self._pending = None


def plain_reporter(stream: TextIO | None = None, every: float = 5.0) -> Throttle:
    """Plain lines every ``every`` seconds (stderr by default): for logs, CI and pipes."""

    def emit(snap: Snapshot) -> None:
        out = stream or sys.stderr
        print(snap.line(), file=out, flush=True)

    return Throttle(emit, every)


class RichReporter:
    """A bar on a terminal: documents (then chunks being embedded), MB/s and time left."""

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            transient=True,
        )
        self.task = None

    def __enter__(self) -> RichReporter:
        self.bar.__enter__()
        self.task = self.bar.add_task("Đọc", total=None, info="")
        return self

    def __exit__(self, *exc) -> None:
        self.bar.__exit__(*exc)

    def __call__(self, snap: Snapshot) -> None:
        done, total = (
            (snap.chunks, snap.chunks_total) if snap.stage == "embed" else (snap.docs_done, snap.docs_total)
        )
        line = snap.line()
        info = line.split("·", 1)[-1].strip() if "·" in line else ""
        self.bar.update(
            self.task,
            description=STAGES.get(snap.stage, snap.stage),
            completed=done,
            total=total or None,
            info=info,
        )
