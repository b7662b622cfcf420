"""The terminal output every command shares: one rich console and one progress style, a live
bar on a terminal and plain timestamped lines in a log or a pipe."""

from __future__ import annotations

import threading
import time
from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
if not console.is_terminal:  # logs and CI: rich would wrap tables at 80 columns
    console.width = 140
# Errors go where a shell expects them, apart from the results a script may parse
errors = Console(stderr=True, soft_wrap=True)


# A log or a pipe hears from a long step at least this often (CI, `make run > log`, a scheduler)
HEARTBEAT_SECONDS = 20.0


class PlainProgress:
    """The part of rich's Progress the commands use, as one timestamped line per step, and a
    "still ..." line when a step (a grid search, a report's permutation importance) runs
    longer than HEARTBEAT_SECONDS without one."""

    def __init__(self, heartbeat: float = HEARTBEAT_SECONDS, out: Console | None = None):
        self._heartbeat = heartbeat
        self._out = out or console
        self._tasks: dict[int, dict] = {}
        self._last = time.monotonic()
        self._started = self._last
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> PlainProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _line(self, text: str) -> None:
        with self._lock:
            self._last = time.monotonic()
            self._out.print(f"{datetime.now():%H:%M:%S} {text}", soft_wrap=True, highlight=False)

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            if time.monotonic() - self._last >= self._heartbeat and self._tasks:
                task = self._tasks[max(self._tasks)]
                elapsed = time.monotonic() - self._started
                self._line(f"still {task['description']} ({elapsed:.0f} s)")

    def add_task(self, description: str, total=None, unit: str = "", **_) -> int:
        task_id = len(self._tasks)
        self._tasks[task_id] = {"description": description, "completed": 0, "unit": unit}
        self._line(description)
        return task_id

    def update(self, task_id: int, description: str | None = None, advance: float = 0) -> None:
        task = self._tasks[task_id]
        task["completed"] += advance
        if description is not None and description != task["description"]:
            task["description"] = description
            self._line(description)

    def advance(self, task_id: int, advance: float = 1) -> None:
        task = self._tasks[task_id]
        task["completed"] += advance
        if task["unit"]:
            self._line(f"{task['description']}: {task['completed']:,.0f} {task['unit']}")


def progress_bar(to_stderr: bool = False) -> Progress | PlainProgress:
    """A live bar on a terminal, timestamped lines otherwise; on stderr when stdout carries a
    result a script reads (--json)."""
    if to_stderr:
        return PlainProgress(out=errors)
    if not console.is_terminal:
        return PlainProgress()
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} {task.fields[unit]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
