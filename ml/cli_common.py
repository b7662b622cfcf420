"""What the `ml` commands share: the settings the global options set, clean failures, the
arguments several commands take and the metrics table."""

from __future__ import annotations

import functools
import json
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from ml.config import Settings
from ml.console import errors
from ml.errors import MlError


class State:
    """The settings of this invocation (the global options over the environment)."""

    settings = Settings()


def _spec_names(incomplete: str) -> list[str]:
    """Shell completion of a model argument: the specs' names ($LOYALTY_SPECS)."""
    folder = Settings().specs_dir
    return sorted(p.stem for p in folder.glob("*.yml") if p.stem.startswith(incomplete))


ModelArg = Annotated[
    str,
    typer.Argument(help="Spec name (ml/specs/<name>.yml), e.g. churn.", autocompletion=_spec_names),
]
VersionOpt = Annotated[
    str | None,
    typer.Option(help="Registered version (3 or v3), alias or 'latest' (default: the champion)."),
]


JsonOpt = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the result as JSON on stdout (progress goes to stderr) for scripts."
    ),
]


def print_json(result: Any) -> None:
    """One JSON document on stdout, nothing else there: dates and paths as strings, NaN as
    null (JSON has no NaN)."""

    def plain(value):
        if isinstance(value, float) and value != value:
            return None
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    sys.stdout.write(json.dumps(plain(result), indent=2, default=str) + "\n")


def fail_cleanly(func):
    """Known problems become one red line on stderr and their exit code; bugs keep their
    traceback."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except MlError as exc:
            errors.print(f"[red]error:[/] {exc}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def context():
    from ml.lifecycle import Context

    return Context.from_settings(State.settings)


def metrics_table(title: str, metrics: dict) -> Table:
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


def headline(metrics: dict) -> str:
    if metrics.get("gap_closed") is not None:
        return f"gap to oracle closed: {metrics['gap_closed']:.2f} (vs {metrics['best_baseline']})"
    if "mse_improvement" in metrics:
        return f"MSE {metrics['mse_improvement']:+.1%} better than {metrics['best_baseline']}"
    return f"best baseline: {metrics.get('best_baseline')}"
