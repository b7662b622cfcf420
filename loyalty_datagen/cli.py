"""`loyalty-datagen` (also `python -m loyalty_datagen` and `ml datagen`): generate the raw
extracts, or grow a lake."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

# The same look as the ml CLI's console (ml/console.py), kept here: the generator imports no ml.
console = Console()
if not console.is_terminal:  # logs and CI: rich would wrap tables at 80 columns
    console.width = 140


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


STEPS = ["catalog", "members", "behaviour", "purchases", "accounts", "extracts", "defects", "write"]


def datagen(
    members: Annotated[int, typer.Option(min=10, help="Number of members.")] = 2000,
    months: Annotated[int, typer.Option(min=4, max=120, help="Months simulated.")] = 24,
    seed: Annotated[int, typer.Option(help="RNG seed: same seed, same bytes.")] = 42,
    start: Annotated[str, typer.Option(help="First day (program launch), ISO.")] = "2024-01-01",
    defect_rate: Annotated[
        float, typer.Option(min=0.0, max=0.2, help="Share of defective rows per table.")
    ] = 0.01,
    out_seeds: Annotated[Path, typer.Option(help="Folder for the raw CSV seeds.")] = Path("seeds"),
    out_meta: Annotated[
        Path, typer.Option(help="Folder for manifest.json and the churn truth.")
    ] = Path("data/datagen"),
    out_lake: Annotated[
        Path | None,
        typer.Option(help="Also write a Parquet lake: <lake>/<table>/extract_date=YYYY-MM-DD/."),
    ] = None,
    seeds: Annotated[
        bool, typer.Option(help="Write the CSV seeds (--no-seeds: lake only).")
    ] = True,
    lake_through: Annotated[
        str | None,
        typer.Option(
            help="Write the lake's extract days only up to this date (ISO); the rest of the "
            "simulated period can be appended later with --append-days."
        ),
    ] = None,
    shift: Annotated[
        str | None,
        typer.Option(
            help="Inject a behaviour change from a month on, e.g. economic_shock:2025-08 (a "
            "random half of the members buy at 30 % of their rate and churn more); recorded "
            "in the manifest."
        ),
    ] = None,
    append_days: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Append the next N extract days to the lake at --out-lake, with the settings "
            "its manifest (in --out-meta) recorded; the other options are ignored.",
        ),
    ] = None,
) -> None:
    """Generate the raw OLTP extracts (CSV seeds and/or a Parquet lake), their manifest and
    the churn truth; or append the next extract days to a lake."""
    from loyalty_datagen import GeneratorConfig, generate
    from loyalty_datagen import append_days as append

    def iso_date(option: str, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError:
            console.print(f"[red]error:[/] {option} must be an ISO date, got {value!r}")
            raise typer.Exit(2) from None

    if append_days is not None:
        if out_lake is None:
            console.print("[red]error:[/] --append-days needs --out-lake (the lake to extend)")
            raise typer.Exit(2)
        with progress_bar() as progress:
            task = progress.add_task("appending", total=len(STEPS), unit="steps")

            def step(name: str) -> None:
                progress.update(task, description=f"appending: {name}", advance=name != STEPS[0])

            try:
                manifest = append(out_lake, out_meta, append_days, step)
            except ValueError as exc:
                console.print(f"[red]error:[/] {exc}")
                raise typer.Exit(2) from None
        lake = manifest["lake"]
        table = Table(title=f"{out_lake} now holds extracts through {lake['through']}")
        for col in ["table", "rows", "extract days"]:
            table.add_column(col, justify="left" if col == "table" else "right")
        for name, r in lake["tables"].items():
            table.add_row(name, f"{r['rows']:,}", str(r["partitions"]))
        console.print(table)
        return
    start_day = iso_date("--start", start)
    through_day = iso_date("--lake-through", lake_through) if lake_through else None
    try:
        cfg = GeneratorConfig(
            seed=seed,
            members=members,
            months=months,
            start=start_day,
            defect_rate=defect_rate,
            shift=shift,
        )
    except ValueError as exc:
        console.print(f"[red]error:[/] --shift: {exc}")
        raise typer.Exit(2) from None
    with progress_bar() as progress:
        task = progress.add_task("generating", total=len(STEPS), unit="steps")

        def step(name: str) -> None:
            progress.update(task, description=f"generating: {name}", advance=name != STEPS[0])

        manifest = generate(
            cfg,
            out_seeds if seeds else None,
            out_meta,
            step,
            out_lake=out_lake,
            lake_through=through_day,
        )
        progress.update(task, completed=len(STEPS))

    where = ", ".join(str(p) for p in (out_seeds if seeds else None, out_lake) if p)
    table = Table(title=f"Raw extracts written to {where} (manifest in {out_meta}/)")
    if through_day:
        table.caption = f"the simulated period; the lake holds its extracts through {through_day}"
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


app = typer.Typer(add_completion=False)
app.command()(datagen)
