"""The `ml` command line: thin typer wrappers over plain functions that tests call directly."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ml import __version__

app = typer.Typer(
    help="Loyalty data platform: generate raw data, train and score models.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

STEPS = ["catalog", "members", "behaviour", "purchases", "accounts", "extracts", "defects", "write"]


def _version(value: bool) -> None:
    if value:
        console.print(f"ml {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Loyalty data platform command line."""


@app.command()
def datagen(
    members: Annotated[int, typer.Option(min=10, help="Number of members.")] = 2000,
    months: Annotated[int, typer.Option(min=4, max=120, help="Months simulated.")] = 24,
    seed: Annotated[int, typer.Option(help="RNG seed: same seed, same bytes.")] = 42,
    start: Annotated[
        str, typer.Option(help="First day, ISO date (program launch).")
    ] = "2024-01-01",
    defect_rate: Annotated[
        float, typer.Option(min=0.0, max=0.2, help="Share of defective rows per table.")
    ] = 0.01,
    out_seeds: Annotated[Path, typer.Option(help="Folder for the raw CSV seeds.")] = Path("seeds"),
    out_meta: Annotated[
        Path, typer.Option(help="Folder for manifest.json and the churn truth.")
    ] = Path("data/datagen"),
) -> None:
    """Generate the raw OLTP extracts (CSV seeds), their manifest and the churn truth."""
    from ml.datagen import GeneratorConfig, generate

    try:
        start_day = date.fromisoformat(start)
    except ValueError:
        console.print(f"[red]error:[/] --start must be an ISO date (YYYY-MM-DD), got {start!r}")
        raise typer.Exit(2) from None
    cfg = GeneratorConfig(
        seed=seed, members=members, months=months, start=start_day, defect_rate=defect_rate
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("generating", total=len(STEPS))

        def step(name: str) -> None:
            progress.update(
                task, description=f"generating: {name}", advance=0 if name == STEPS[0] else 1
            )

        manifest = generate(cfg, out_seeds, out_meta, step)
        progress.update(task, completed=len(STEPS))

    table = Table(title=f"Raw extracts written to {out_seeds}/ (manifest in {out_meta}/)")
    for col in ["table", "rows", "current", "superseded", "quarantined", "defects"]:
        table.add_column(col, justify="left" if col in ("table", "defects") else "right")
    for name, r in manifest["tables"].items():
        defects = ", ".join(f"{k}={v}" for k, v in r["defects"].items())
        table.add_row(
            name,
            str(r["rows"]),
            str(r["current"]),
            str(r["superseded"]),
            str(r["quarantined"]),
            defects,
        )
    console.print(table)
