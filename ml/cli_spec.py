"""`ml spec check`: a spec checked against its data before anything is fitted; `ml init-spec`:
one drafted from a relation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from ml.cli_common import ModelArg, State, context, fail_cleanly
from ml.console import console, errors
from ml.errors import SpecError

spec_app = typer.Typer(help="Model specs (ml/specs/<name>.yml).", no_args_is_help=True)


@spec_app.command("check")
@fail_cleanly
def check(model: ModelArg) -> None:
    """Check a spec before training: its keys, candidates (estimator fits the task, grid keys
    exist), columns, target and split windows (minimums: docs/ml.md). Every problem is one
    line on stderr; exit 2 if there is any."""
    from ml.lifecycle import labelled_frame, resolve_and_check
    from ml.spec_check import CheckedSpec, data_problems, spec_problems

    _refuse(spec_problems(State.settings.specs_dir, model))
    ctx = context()
    spec = ctx.spec(model)
    source = resolve_and_check(ctx, spec)
    problems, split = data_problems(labelled_frame(ctx, spec, source), spec)
    _refuse(problems)
    table = Table(title=f"{model}: ready to train", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for label, value in CheckedSpec(spec, str(source.relation), split).summary():
        table.add_row(label, value)
    console.print(table)


def _refuse(problems: list[str]) -> None:
    if problems:
        for line in problems:
            errors.print(f"[red]error:[/] {line}", markup=True, highlight=False)
        raise typer.Exit(SpecError.exit_code)


@fail_cleanly
def init_spec(
    name: Annotated[str, typer.Argument(help="Spec name: writes <specs>/<name>.yml.")],
    source: Annotated[
        str, typer.Option(help="Relation to learn from: schema.table, or a dbt model's name.")
    ],
    target: Annotated[str, typer.Option(help="Column to predict.")],
    time: Annotated[str, typer.Option(help="Date column that orders the rows (the split).")],
    force: Annotated[bool, typer.Option(help="Replace an existing spec.")] = False,
) -> None:
    """Write a commented spec from a relation's columns and types: features guessed (ids and
    the target left out), the task read from the target, a log transform set and default
    candidates; `ml train NAME` works on it as written."""
    from ml import init_spec as drafts
    from ml.dbt_artifacts import ResolvedSource

    ctx = context()
    resolved: ResolvedSource = ctx.manifest.resolve(source)
    columns = ctx.warehouse.columns(resolved.relation)
    data = ctx.warehouse.read_frame(resolved.relation, list(columns))
    text = drafts.draft(name, source, target, time, columns, data)
    path = State.settings.specs_dir / f"{name}.yml"
    drafts.write(path, text, force)
    console.print(text, markup=False, highlight=False, soft_wrap=True)
    console.print(f"Wrote {path}: check the guesses, then `ml spec check {name}`.")
