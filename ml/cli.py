"""The `ml` command line: thin typer wrappers over plain functions that tests call directly.

Exit codes scripts can rely on: 0 ok, 2 unknown model or bad spec/option, 3 warehouse problem
(missing file or relation, locked file), 4 data problem (missing columns, contract drift,
empty training set), 5 registry artifact problem (missing, tampered, untrusted types),
6 promotion refused (the challenger does not beat the champion).
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from typer.core import TyperGroup

from ml import __version__
from ml.cli_common import (
    JsonOpt,
    ModelArg,
    State,
    VersionOpt,
    context,
    headline,
    metrics_table,
    print_json,
)
from ml.cli_common import fail_cleanly as _fail_cleanly
from ml.cli_models import models_app
from ml.cli_spec import init_spec, spec_app
from ml.config import Settings
from ml.console import console, progress_bar


class _Commands(TyperGroup):
    """`ml datagen` is the generator's own command (loyalty_datagen.cli, also `loyalty-datagen`),
    imported only when it runs or a help page lists it: the generator loads numpy and pyarrow,
    which the other commands' start-up does without."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [*super().list_commands(ctx), "datagen"]

    def get_command(self, ctx: typer.Context, cmd_name: str):
        if cmd_name == "datagen":
            from loyalty_datagen.cli import app as datagen_app

            return _flags_without_a_type(typer.main.get_command(datagen_app), ctx)
        return _flags_without_a_type(super().get_command(ctx, cmd_name), ctx)

    def get_params(self, ctx: typer.Context):
        _flags_without_a_type(self, ctx, recurse=False)
        return super().get_params(ctx)


def _flags_without_a_type(command, ctx, recurse: bool = True):
    """Typer's help shows a flag as `--replace <bool>`, `--help <bool>`: a flag takes no
    value, so its help shows none (options that take one keep their type)."""
    if command is None:
        return None
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is not None and getattr(param, "is_flag", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values() if recurse else ():
        _flags_without_a_type(sub, ctx)
    return command


app = typer.Typer(
    cls=_Commands,
    help="Loyalty data platform: generate raw data, train, evaluate and score models.",
    epilog=(
        "Specs: $LOYALTY_SPECS (default ml/specs/<name>.yml). Registry: $MLFLOW_TRACKING_URI. "
        "Warehouse: $LOYALTY_DUCKDB_PATH or --target. Exit codes: 0 done, 2 usage or spec "
        "(an unknown model or version included), 3 warehouse, 4 data, 5 artifact, "
        "6 promotion refused; errors are one line on stderr."
    ),
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")
app.add_typer(spec_app, name="spec")
app.command("init-spec")(init_spec)
pii_key_app = typer.Typer(help="The PII pseudonymisation key.", no_args_is_help=True)
app.add_typer(pii_key_app, name="pii-key")


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
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            help="MLflow tracking store and registry (default: $MLFLOW_TRACKING_URI, else the "
            "embedded sqlite:///.mlflow/mlflow.db)."
        ),
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
    # the registry, reports and scratch loads are the owner's: model files carry training
    # data fingerprints, reports carry member-level plots (loyalty_dbt/owner_only.py for dbt)
    os.umask(0o077)
    overrides = {
        "duckdb_path": warehouse,
        "mlflow_tracking_uri": tracking_uri,
        "target_dir": target_dir,
        "target": target,
    }
    State.settings = replace(Settings(), **{k: v for k, v in overrides.items() if v is not None})


@app.command()
@_fail_cleanly
def train(model: ModelArg, as_json: JsonOpt = False) -> None:
    """Select, fit and register a model version; print test metrics beside the baselines."""
    from ml.lifecycle import train as train_model
    from ml.training import warned

    with progress_bar(to_stderr=as_json) as progress:
        task = progress.add_task(f"training {model}", total=None, unit="steps")

        def step(message: str) -> None:
            progress.update(task, description=f"{model}: {message}", advance=1)

        mv = train_model(context(), model, progress=step)
    metrics = mv.metadata["metrics"]
    if as_json:
        keys = ("split", "training_data", "test_data")
        return print_json(
            {"model": model, "version": mv.version, "run_id": mv.run_id,
             "is_champion": mv.is_champion, "metrics": metrics,
             **{k: mv.metadata[k] for k in keys}}
        )  # fmt: skip
    population = mv.metadata["spec"].get("population")
    where = f", population {population}" if population else ""
    console.print(metrics_table(f"{model} {mv.label}: test period{where}", metrics))
    role = "the champion (first version)" if mv.is_champion else "a challenger: `ml promote`"
    console.print(
        f"{headline(metrics)}. Selected {metrics['selected']['candidate']} "
        f"{metrics['selected']['params']}. Registered {model} {mv.label} in MLflow (run "
        f"{mv.run_id}), {role}."
    )
    for r in metrics["cv"]:
        if r.get("warnings"):
            console.print(f"{r['candidate']}: {warned(r)}", soft_wrap=True)


@app.command()
@_fail_cleanly
def evaluate(model: ModelArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """Re-evaluate a registered version on its test period with the warehouse's current data."""
    from ml.lifecycle import evaluate_version

    metrics = evaluate_version(context(), model, version)
    if as_json:
        return print_json({"model": model, **metrics})
    console.print(metrics_table(f"{model} {metrics['version']}: test period", metrics))
    same = "same rows as at training" if metrics["same_test_data_as_training"] else "data changed"
    console.print(f"{headline(metrics)} ({same}).")


@app.command()
@_fail_cleanly
def score(
    model: ModelArg,
    version: VersionOpt = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Rows per Arrow batch.")] = 50_000,
    as_json: JsonOpt = False,
) -> None:
    """Score the champion's (or a version's) cutoffs, from its test period on, into the
    scores table: the labelled ones are its backtest, the rest are live."""
    from dataclasses import asdict

    from ml.scoring import score as score_rows

    with progress_bar(to_stderr=as_json) as progress:
        task = progress.add_task(f"scoring {model}", total=None, unit="rows")
        result = score_rows(
            context(), model, version, batch_size, progress=lambda n: progress.advance(task, n)
        )
    if as_json:
        return print_json(asdict(result))
    if result.rows == 0:
        console.print(f"{model} v{result.version}: nothing to score (no row from its test period).")
        return
    console.print(
        f"{model} v{result.version}: wrote {result.rows:,} scores for cutoff(s) "
        f"{', '.join(result.cutoffs)} to {result.table}."
    )


@app.command()
@_fail_cleanly
def promote(
    model: ModelArg,
    version: Annotated[
        str | None, typer.Argument(help="The challenger (default: the latest version).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Promote even if it does not beat the champion (needs --reason).")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why, recorded on the version.")] = "",
) -> None:
    """Make a version the champion if it beats the current one on the same test period, by
    the spec's selection metric (both evaluated on today's data). Exit 6 when it does not."""
    from ml.errors import PromotionRefused
    from ml.promotion import promote

    try:
        result = promote(context(), model, version, force, reason)
    except PromotionRefused as refused:
        if refused.comparison is not None:
            _print_comparison(refused.comparison, promoted=False)
        raise
    _print_comparison(result, promoted=True)


def _print_comparison(result, promoted: bool) -> None:
    periods = f"{result.test_periods[0]} .. {result.test_periods[-1]}"
    table = Table(title=f"{result.model}: {result.metric}, test period {periods}")
    for col in ["version", "role", result.metric]:
        table.add_column(col, justify="right" if col == result.metric else "left")
    already = result.champion is not None and result.champion.version == result.challenger.version
    role = "champion (already)" if already else "challenger"
    table.add_row(result.challenger.label, role, f"{result.challenger_score:.4f}")
    if result.champion is not None and result.champion_score is not None:
        table.add_row(result.champion.label, "champion", f"{result.champion_score:.4f}")
    console.print(table)
    if promoted:
        how = " (forced)" if result.forced else ""
        console.print(f"{result.model} {result.challenger.label} is the champion{how}.")


@app.command()
@_fail_cleanly
def monitor(model: ModelArg, version: VersionOpt = None, as_json: JsonOpt = False) -> None:
    """Drift (PSI per feature) and realised performance of a version over its scored cutoffs,
    from the marts dbt builds on the scores (run `dbt build -s source:ml_scores+` after
    `ml score`); writes PNGs of both."""
    from ml.monitor import monitor as read_monitoring

    found = read_monitoring(context(), model, version)
    rows = found.by_cutoff()
    if as_json:
        by_cutoff = rows.rename_axis("cutoff_date").reset_index().to_dict("records")
        return print_json(
            {"model": model, "version": found.version.version, "metric": found.metric,
             "cutoffs": by_cutoff, "plots": [str(p) for p in found.plots]}
        )  # fmt: skip
    if rows.empty:
        console.print(
            f"{model} {found.version.label}: nothing monitored yet: `ml score {model}`, "
            "then `dbt build -s source:ml_scores+`."
        )
        return
    table = Table(title=f"{model} {found.version.label}: drift and realised {found.metric}")
    for col in [
        "cutoff",
        "most drifted",
        "max PSI",
        "warn",
        "alert",
        "realised",
        "training",
        "shortfall",
    ]:
        table.add_column(col, justify="left" if col in ("cutoff", "most drifted") else "right")
    for cutoff, r in rows.iterrows():
        cells = [
            _fmt(r.get(c))
            for c in ("max_psi", "warn", "alert", "realised", "training", "shortfall")
        ]
        table.add_row(str(cutoff), str(r.get("most_drifted") or ""), *cells)
    console.print(table)
    console.print("Plots: " + ", ".join(str(p) for p in found.plots))


def _fmt(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


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
        path = write_report(context(), model, version)
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
    text: Annotated[
        list[str] | None,
        typer.Option(help="A column to keep as written, never read as a number or date."),
    ] = None,
    date_format: Annotated[
        list[str] | None,
        typer.Option(
            help="COLUMN=FORMAT for a column whose dates read two ways (e.g. "
            "data=dd/mm/yyyy); formats: dbt_project.yml's date_formats."
        ),
    ] = None,
    replace_table: Annotated[
        bool, typer.Option("--replace", help="Overwrite the scratch table if it exists.")
    ] = False,
) -> None:
    """Load a delimited file into the scratch schema, e.g. a spreadsheet export with ';' and
    ','. Dates are read as people write them (2004-01-31, 31/01/2004, 01/2004, jan/04,
    janeiro de 2004); the warehouse file is created if there is none. Never touches a
    relation dbt manages."""
    from ml.dates import rules
    from ml.errors import SpecError, WarehouseError
    from ml.scratch import check_has_rows, read_csv, refuse_dbt_relation, scratch_relation
    from ml.warehouse import DuckDBWarehouse

    settings = State.settings
    if settings.target != "dev":
        raise WarehouseError(
            f"load-csv loads into the DuckDB warehouse only (target dev), not {settings.target}: "
            "on BigQuery, load the file with `bq load` or a load job"
        )
    declared = {}
    for item in date_format or []:
        column, equals, fmt = item.partition("=")
        if not equals or not column or not fmt:
            raise SpecError(f"--date-format {item!r}: write COLUMN=FORMAT, e.g. data=dd/mm/yyyy")
        declared[column] = rules(settings.project_dir).format(fmt).name
    relation = scratch_relation(table, settings.scratch_schema)
    refuse_dbt_relation(relation, settings.manifest_path)
    check_has_rows(path)
    loaded = read_csv(path, sep, decimal, rules(settings.project_dir), text or [], declared)
    warehouse = DuckDBWarehouse(settings.duckdb_path)
    rows = warehouse.load_table(loaded.rows, relation, replace=replace_table)
    schema = Table(title=f"{relation} in {settings.duckdb_path}")
    for col in ["column", "type", "read as"]:
        schema.add_column(col)
    for row in loaded.schema(warehouse.columns(relation)):
        schema.add_row(*row)
    console.print(schema)
    console.print(f"Loaded {rows:,} rows into {relation}.")


@pii_key_app.command("install")
@_fail_cleanly
def pii_key_install() -> None:
    """Put LOYALTY_PII_SALT where the warehouse reads it: BigQuery's key table (DuckDB's
    plugin reads the variable itself at every connection, so there is nothing to install)."""
    from loyalty_dbt.pii_key import ENV_VAR, PiiKeyError, resolve_salt
    from ml.errors import SpecError
    from ml.warehouse import open_warehouse

    if State.settings.target == "dev":
        console.print(f"DuckDB reads {ENV_VAR} when dbt connects: nothing to install.")
        return
    try:
        salt = resolve_salt(
            os.environ.get(ENV_VAR), allow_dev_salt=False, target=State.settings.target
        )
    except PiiKeyError as exc:
        raise SpecError(str(exc)) from None
    where = open_warehouse(State.settings).install_pii_key(State.settings.pii_key_schema, salt)
    console.print(f"PII key installed in {where} (restrict that dataset to the dbt runner).")
