"""The `ml` command line: thin typer wrappers over plain functions that tests call directly.

Exit codes scripts can rely on: 0 ok, 2 unknown model or bad spec/option, 3 warehouse problem
(missing file or relation, locked file), 4 data problem (missing columns, contract drift,
empty training set), 5 registry artifact problem (missing, tampered, untrusted types).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from typer.core import TyperGroup

from ml import __version__
from ml.config import Settings
from ml.console import console, progress_bar
from ml.errors import ArtifactError, MlError


class _Commands(TyperGroup):
    """`ml datagen` is the generator's own command (loyalty_datagen.cli, also `loyalty-datagen`),
    imported only when it runs or a help page lists it: the generator loads numpy and pyarrow,
    which the other commands' start-up does without."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), "datagen"]

    def get_command(self, ctx: typer.Context, cmd_name: str):
        if cmd_name == "datagen":
            from loyalty_datagen.cli import app as datagen_app

            return typer.main.get_command(datagen_app)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=_Commands,
    help="Loyalty data platform: generate raw data, train, evaluate and score models.",
    no_args_is_help=True,
    add_completion=False,
)
models_app = typer.Typer(help="Inspect the model registry.", no_args_is_help=True)
app.add_typer(models_app, name="models")
pii_key_app = typer.Typer(help="The PII pseudonymisation key.", no_args_is_help=True)
app.add_typer(pii_key_app, name="pii-key")
_settings = Settings()

# Arguments several commands share.
ModelArg = Annotated[str, typer.Argument(help="Spec name (ml/specs/<name>.yml), e.g. churn.")]
VersionOpt = Annotated[str | None, typer.Option(help="Registry version (default latest).")]


def _fail_cleanly(func):
    """Known problems become one red line and their exit code; bugs keep their traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except MlError as exc:
            console.print(f"[red]error:[/] {exc}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def _context():
    from ml.lifecycle import Context

    return Context.from_settings(_settings)


def _version(value: bool) -> None:
    if value:
        console.print(f"ml {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    warehouse: Annotated[
        Path | None, typer.Option(help="DuckDB file (default: $LOYALTY_DUCKDB_PATH).")
    ] = None,
    registry: Annotated[
        Path | None, typer.Option(help="Model registry folder (default: ./registry).")
    ] = None,
    target_dir: Annotated[
        Path | None, typer.Option(help="dbt target folder with manifest.json.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="dbt target of profiles.yml: dev (DuckDB), bigquery or bigquery_emulator "
            "(default: $DBT_TARGET, else dev)."
        ),
    ] = None,
) -> None:
    """Loyalty data platform command line."""
    global _settings
    # the registry, reports and scratch loads are the owner's: model files carry training
    # data fingerprints, reports carry member-level plots (loyalty_dbt/owner_only.py for dbt)
    os.umask(0o077)
    overrides = {
        "duckdb_path": warehouse,
        "registry_dir": registry,
        "target_dir": target_dir,
        "target": target,
    }
    _settings = replace(Settings(), **{k: v for k, v in overrides.items() if v is not None})


def _metrics_table(title: str, metrics: dict) -> Table:
    names = list(metrics["test"])
    table = Table(title=title)
    table.add_column("")
    for n in names:
        table.add_column(n, justify="right")
    rows = [("model", metrics["test"]), *metrics["baselines"].items()]
    if "oracle" in metrics:
        rows.append(("oracle (true p)", metrics["oracle"]))
    for label, values in rows:
        style = "bold" if label == "model" else None
        cells = [f"{values[n]:.4f}" if n in values else "" for n in names]
        table.add_row(label, *cells, style=style)
    return table


def _headline(metrics: dict) -> str:
    if metrics.get("gap_closed") is not None:
        return f"gap to oracle closed: {metrics['gap_closed']:.2f} (vs {metrics['best_baseline']})"
    if "mse_improvement" in metrics:
        return f"MSE {metrics['mse_improvement']:+.1%} better than {metrics['best_baseline']}"
    return f"best baseline: {metrics.get('best_baseline')}"


@app.command()
@_fail_cleanly
def train(model: ModelArg) -> None:
    """Select, fit and register a model version; print test metrics beside the baselines."""
    from ml.lifecycle import train as train_model

    with progress_bar() as progress:
        task = progress.add_task(f"training {model}", total=None, unit="steps")

        def step(message: str) -> None:
            progress.update(task, description=f"{model}: {message}", advance=1)

        mv = train_model(_context(), model, progress=step)
    metrics = mv.metadata["metrics"]
    console.print(_metrics_table(f"{model} {mv.version}: test period", metrics))
    console.print(
        f"{_headline(metrics)}. Selected {metrics['selected']['candidate']} "
        f"{metrics['selected']['params']}. Saved to {mv.path}"
    )


@app.command()
@_fail_cleanly
def evaluate(
    model: ModelArg,
    version: VersionOpt = None,
) -> None:
    """Re-evaluate a registered version on its test period with the warehouse's current data."""
    from ml.lifecycle import evaluate_version

    metrics = evaluate_version(_context(), model, version)
    console.print(_metrics_table(f"{model} {metrics['version']}: test period", metrics))
    same = "same rows as at training" if metrics["same_test_data_as_training"] else "data changed"
    console.print(f"{_headline(metrics)} ({same}).")


@app.command()
@_fail_cleanly
def score(
    model: ModelArg,
    version: VersionOpt = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per Arrow batch.")] = 50_000,
) -> None:
    """Score the rows whose label is not known yet and write them to the scores table."""
    from ml.scoring import score as score_rows

    with progress_bar() as progress:
        task = progress.add_task(f"scoring {model}", total=None, unit="rows")
        result = score_rows(
            _context(), model, version, batch_size, progress=lambda n: progress.advance(task, n)
        )
    if result.rows == 0:
        console.print(f"{model} {result.version}: nothing to score (no row without a label).")
        return
    console.print(
        f"{model} {result.version}: wrote {result.rows:,} scores for cutoff(s) "
        f"{', '.join(result.cutoffs)} to {result.table}."
    )


@app.command()
@_fail_cleanly
def report(
    model: ModelArg,
    version: VersionOpt = None,
) -> None:
    """Write PNG plots and a Markdown summary of a registered version's test period."""
    from ml.report import write_report

    with progress_bar() as progress:
        progress.add_task(f"reporting {model}", total=None, unit="")
        path = write_report(_context(), model, version)
    console.print(f"Report: {path}")


@app.command("load-csv")
@_fail_cleanly
def load_csv(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file.")],
    table: Annotated[
        str,
        typer.Option(help="Table name, alone or as <scratch schema>.name (e.g. scratch.lojas)."),
    ],
    sep: Annotated[str, typer.Option(help="Field separator.")] = ";",
    decimal: Annotated[str, typer.Option(help="Decimal mark.")] = ",",
    replace_table: Annotated[
        bool, typer.Option("--replace", help="Overwrite the scratch table if it exists.")
    ] = False,
) -> None:
    """Load a delimited file into the scratch schema, e.g. a spreadsheet export with ';' and
    ','. Never touches a relation dbt manages."""
    from ml.errors import WarehouseError
    from ml.scratch import check_has_rows, refuse_dbt_relation, scratch_relation
    from ml.warehouse import DuckDBWarehouse

    if _settings.target != "dev":
        raise WarehouseError(
            f"load-csv loads into the DuckDB warehouse only (target dev), not {_settings.target}: "
            "on BigQuery, load the file with `bq load` or a load job"
        )
    relation = scratch_relation(table, _settings.scratch_schema)
    refuse_dbt_relation(relation, _settings.manifest_path)
    check_has_rows(path)
    rows = DuckDBWarehouse(_settings.duckdb_path).load_csv(
        path, relation, sep, decimal, replace=replace_table
    )
    console.print(f"Loaded {rows:,} rows into {relation}.")


@pii_key_app.command("install")
@_fail_cleanly
def pii_key_install() -> None:
    """Put LOYALTY_PII_SALT where the warehouse reads it: BigQuery's key table (DuckDB's
    plugin reads the variable itself at every connection, so there is nothing to install)."""
    from loyalty_dbt.pii_key import ENV_VAR, PiiKeyError, resolve_salt
    from ml.errors import SpecError
    from ml.warehouse import open_warehouse

    if _settings.target == "dev":
        console.print(f"DuckDB reads {ENV_VAR} when dbt connects: nothing to install.")
        return
    try:
        salt = resolve_salt(os.environ.get(ENV_VAR), allow_dev_salt=False, target=_settings.target)
    except PiiKeyError as exc:
        raise SpecError(str(exc)) from None
    where = open_warehouse(_settings).install_pii_key(_settings.pii_key_schema, salt)
    console.print(f"PII key installed in {where} (restrict that dataset to the dbt runner).")


def _incomplete(mv) -> ArtifactError:
    return ArtifactError(f"{mv.model_name} {mv.version}: {mv.path / 'metadata.json'} is incomplete")


def _latest_row(latest) -> list[str]:
    """The list's cells for a model's latest version; KeyError/TypeError on odd metadata."""
    m = latest.metadata["metrics"]
    key = "roc_auc" if "roc_auc" in m["test"] else "mse"
    fmt = "{:.4f}" if key == "roc_auc" else "{:,.0f}"
    base = m["baselines"][m["best_baseline"]][key]
    if m.get("gap_closed") is not None:
        versus = f"gap closed {m['gap_closed']:.2f}"
    elif "mse_improvement" in m:
        versus = f"MSE {-m['mse_improvement']:+.0%}"
    else:
        versus = ""
    return [
        key,
        fmt.format(m["test"][key]),
        m["best_baseline"].split(":")[-1],
        fmt.format(base),
        fmt.format(m["oracle"][key]) if "oracle" in m else "",
        versus,
    ]


@models_app.command("list")
@_fail_cleanly
def models_list() -> None:
    """Every registered model: latest version and its test metric beside the best baseline.
    Every version's file is checked; broken ones are listed after the table (exit 5)."""
    from ml.registry import list_models, list_versions

    names = list_models(_settings.registry_dir)
    if not names:
        console.print(f"No models in {_settings.registry_dir}: run `ml train MODEL` first.")
        return
    table = Table(title=f"Models in {_settings.registry_dir} (test period)")
    columns = ["model", "version", "metric", "value", "best baseline", "baseline", "oracle"]
    for col in [*columns, "vs baseline"]:
        table.add_column(col, justify="left" if col in ("model", "best baseline") else "right")
    broken = []
    for name in names:
        versions = list_versions(_settings.registry_dir, name, check_files=True)
        broken += [v for v in versions if v.problem]
        latest = versions[-1]
        try:
            cells = ["broken (below)"] + [""] * 5 if latest.problem else _latest_row(latest)
        except (KeyError, TypeError, ValueError):
            broken.append(replace(latest, problem="metadata.json metrics are incomplete"))
            cells = ["broken (below)"] + [""] * 5
        table.add_row(name, latest.version, *cells)
    console.print(table)
    for v in broken:
        console.print(f"[red]broken:[/] {v.model_name} {v.version}: {v.problem}", soft_wrap=True)
    if broken:
        raise typer.Exit(ArtifactError.exit_code)


@models_app.command("show")
@_fail_cleanly
def models_show(
    model: ModelArg,
    version: VersionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full metadata.")] = False,
) -> None:
    """One version: what it was trained on, how it was selected, how good it is."""
    from ml.registry import get_version

    mv = get_version(_settings.registry_dir, model, version)
    try:
        _show(mv, as_json)
    except (KeyError, TypeError, ValueError):
        raise _incomplete(mv) from None


def _show(mv, as_json: bool) -> None:
    model, meta = mv.model_name, mv.metadata
    if as_json:
        console.print_json(json.dumps(meta, default=str))
        return
    console.print(f"[bold]{model} {mv.version}[/] at {mv.path}")
    for label, value in [
        ("created", meta["created_at"]),
        ("source", meta["source"]["relation"]),
        (
            "training rows",
            f"{meta['training_data']['rows']:,} ({meta['training_data']['time_min']}"
            f" .. {meta['training_data']['time_max']})",
        ),
        ("training data sha256", meta["training_data"]["sha256"]),
        ("test periods", ", ".join(meta["split"]["test_periods"])),
        (
            "selected",
            f"{meta['metrics']['selected']['candidate']} {meta['metrics']['selected']['params']}",
        ),
        ("dbt invocation", meta["dbt"]["invocation_id"]),
        ("git commit", meta.get("git_commit")),
        ("model sha256", meta["model_sha256"]),
    ]:
        console.print(f"  {label:22} {value}")
    console.print(_metrics_table("test period", meta["metrics"]))
    cv = Table(title="model selection (time-ordered CV)")
    for col in ["candidate", "best params", "cv score", "cv std"]:
        cv.add_column(col)
    for r in meta["metrics"]["cv"]:
        cv.add_row(
            r["candidate"], str(r["best_params"]), f"{r['cv_score']:.4f}", f"{r['cv_std']:.4f}"
        )
    console.print(cv)
