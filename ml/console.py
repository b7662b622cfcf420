"""The terminal output every command shares: one rich console and one progress bar style."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
if not console.is_terminal:  # logs and CI: rich would wrap tables at 80 columns
    console.width = 140
# Errors go where a shell expects them, apart from the results a script may parse
errors = Console(stderr=True, soft_wrap=True)


def progress_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f} {task.fields[unit]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
