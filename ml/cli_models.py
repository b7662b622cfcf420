"""`ml models list` and `ml models show`: the MLflow registry as the terminal shows it."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.table import Table

from ml.cli_common import (
    JsonOpt,
    ModelArg,
    State,
    VersionOpt,
    fail_cleanly,
    headline,
    metrics_table,
    print_json,
)
from ml.console import console
from ml.errors import ArtifactError

models_app = typer.Typer(help="Inspect the model registry (MLflow).", no_args_is_help=True)


def _registry():
    from ml.registry import Registry

    return Registry(State.settings.mlflow_tracking_uri)


def _summary(mv) -> dict:
    """A version's line of the list, as data; KeyError/TypeError on odd metadata."""
    m = mv.metadata["metrics"]
    key = "roc_auc" if "roc_auc" in m["test"] else "mse"
    return {
        "metric": key,
        "value": m["test"][key],
        "best_baseline": m["best_baseline"].split(":")[-1],
        "baseline": m["baselines"][m["best_baseline"]][key],
        "oracle": m["oracle"][key] if "oracle" in m else None,
        "gap_closed": m.get("gap_closed"),
        "mse_improvement": m.get("mse_improvement"),
    }


def _metric_cells(summary: dict) -> list[str]:
    fmt = "{:.4f}" if summary["metric"] == "roc_auc" else "{:,.0f}"
    if summary["gap_closed"] is not None:
        versus = f"gap closed {summary['gap_closed']:.2f}"
    elif summary["mse_improvement"] is not None:  # as train says it: + is a lower MSE
        versus = f"MSE {summary['mse_improvement']:+.0%} better"
    else:
        versus = ""
    oracle = summary["oracle"]
    return [
        summary["metric"],
        fmt.format(summary["value"]),
        summary["best_baseline"],
        fmt.format(summary["baseline"]),
        "" if oracle is None else fmt.format(oracle),
        versus,
    ]


@models_app.command("list")
@fail_cleanly
def models_list(as_json: JsonOpt = False) -> None:
    """Every registered model: its champion and latest version, each one's test metric beside
    the best baseline. Every version's file is checked; broken ones are listed after the
    table (exit 5)."""
    registry = _registry()
    names = registry.list_models()
    if as_json:
        return _list_json(registry, names)
    if not names:
        console.print(f"No models in {registry.tracking_uri}: run `ml train MODEL` first.")
        return
    table = Table(title=f"Registered models ({registry.tracking_uri}), test period")
    left = ["model", "version", "role", "population", "metric"]
    for col in [*left, "value", "best baseline", "baseline", "oracle", "vs baseline"]:
        table.add_column(col, justify="left" if col in [*left, "best baseline"] else "right")
    broken = []
    for name in names:
        versions = registry.list_versions(name, check_files=True)
        broken += [v for v in versions if v.problem]
        shown = [v for v in versions if v.is_champion]
        if versions[-1] not in shown:
            shown.append(versions[-1])
        for mv in shown:
            role = "champion" if mv.is_champion else "challenger"
            population = mv.metadata.get("spec", {}).get("population") or "all rows"
            try:
                cells = ["broken (below)"] + [""] * 5 if mv.problem else _metric_cells(_summary(mv))
            except (KeyError, TypeError, ValueError):
                broken.append(replace(mv, problem="metadata.json metrics are incomplete"))
                cells = ["broken (below)"] + [""] * 5
            table.add_row(name, mv.label, role, population, *cells)
    console.print(table)
    for v in broken:
        console.print(f"[red]broken:[/] {v.model_name} {v.label}: {v.problem}", soft_wrap=True)
    if broken:
        raise typer.Exit(ArtifactError.exit_code)


def _list_json(registry, names: list[str]) -> None:
    """Every version of every model, its aliases and its line of the list (or its problem);
    exit 5 if any is broken, as the table does."""
    models, broken = [], False
    for name in names:
        versions = []
        for mv in registry.list_versions(name, check_files=True):
            entry = {"version": mv.version, "aliases": list(mv.aliases), "problem": mv.problem}
            try:
                entry.update({} if mv.problem else _summary(mv))
            except (KeyError, TypeError, ValueError):
                entry["problem"] = "metadata.json metrics are incomplete"
            broken = broken or bool(entry["problem"])
            population = mv.metadata.get("spec", {}).get("population") or None
            versions.append({**entry, "is_champion": mv.is_champion, "population": population})
        models.append({"model": name, "versions": versions})
    print_json({"tracking_uri": registry.tracking_uri, "models": models})
    if broken:
        raise typer.Exit(ArtifactError.exit_code)


@models_app.command("show")
@fail_cleanly
def models_show(
    model: ModelArg,
    version: VersionOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full metadata.")] = False,
) -> None:
    """One version: what it was trained on, how it was selected, how good it is."""
    mv = _registry().get_version(model, version)
    try:
        _show(mv, as_json)
    except (KeyError, TypeError, ValueError):
        raise ArtifactError(
            f"{mv.model_name} {mv.label}: its metadata.json is incomplete"
        ) from None


def _show(mv, as_json: bool) -> None:
    from ml.training import warned

    meta = mv.metadata
    if as_json:
        return print_json({**meta, "tags": dict(mv.tags), "aliases": list(mv.aliases)})
    console.print(f"[bold]{mv.model_name} {mv.label}[/] ({', '.join(mv.aliases) or 'challenger'})")
    for label, value in [
        ("created", meta["created_at"]),
        ("MLflow run", mv.run_id),
        ("artifacts", mv.source),
        ("source", meta["source"]["relation"]),
        ("population", meta["spec"].get("population") or "all rows"),
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
        ("model sha256", mv.tags.get("model_sha256")),
        ("promotion", mv.tags.get("promotion", "")),
    ]:
        console.print(f"  {label:22} {value}")
    console.print(metrics_table("test period", meta["metrics"]))
    console.print(headline(meta["metrics"]))
    cv = Table(title="model selection (time-ordered CV)")
    for col in ["candidate", "best params", "cv score", "cv std", "warnings"]:
        cv.add_column(col)
    for r in meta["metrics"]["cv"]:
        cv.add_row(
            r["candidate"],
            str(r["best_params"]),
            f"{r['cv_score']:.4f}",
            f"{r['cv_std']:.4f}",
            warned(r),
        )
    console.print(cv)
