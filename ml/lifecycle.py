"""The steps the CLI runs, as plain functions tests call directly: train, evaluate."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ml import model_files
from ml.config import Settings
from ml.dbt_artifacts import DbtManifest, ResolvedSource, check_columns
from ml.drift import reference
from ml.errors import DataError
from ml.evaluation import evaluate
from ml.registry import CHAMPION, ModelVersion, Registry, flat
from ml.spec_check import data_problems
from ml.specs import ModelSpec, load_spec, raise_first
from ml.training import (
    SplitFrames,
    feature_frame,
    frame_fingerprint,
    predict,
    select_and_fit,
    target_vector,
    temporal_split,
)
from ml.warehouse import Warehouse, open_warehouse

Progress = Callable[[str], None]


@dataclass
class Context:
    """What every step needs, built once from the settings."""

    settings: Settings
    warehouse: Warehouse
    manifest: DbtManifest

    @classmethod
    def from_settings(cls, settings: Settings) -> Context:
        return cls(settings, open_warehouse(settings), DbtManifest(settings.manifest_path))

    @cached_property
    def registry(self) -> Registry:
        """MLflow is imported on first use: the commands that do not need it start faster."""
        return Registry(self.settings.mlflow_tracking_uri)

    def spec(self, name: str) -> ModelSpec:
        return load_spec(self.settings.specs_dir, name)

    def threads(self):
        """The cap on BLAS/OpenMP threads for a fit or a prediction (none when unset)."""
        return threadpool_limits(self.settings.ml_threads)


def resolve_and_check(ctx: Context, spec: ModelSpec) -> ResolvedSource:
    """Fail early, naming what is wrong: unknown relation, missing columns, contract drift."""
    source = ctx.manifest.resolve(spec.source)
    actual = ctx.warehouse.columns(source.relation)
    check_columns(source, actual, spec.columns, ctx.warehouse.dialect)
    time_type = {c.lower(): t for c, t in actual.items()}[spec.time_column.lower()].upper()
    if "DATE" not in time_type and "TIMESTAMP" not in time_type:
        # pandas would read 'fev/04' with a traceback and 'jan/04' as the 4th of January
        raise DataError(
            f"time column {spec.time_column!r} of {source.relation} is {time_type.lower()}, "
            "not a date: load the file with `ml load-csv` (it reads dates as people write "
            "them: jan/04, 31/01/2004, 01/2004) or cast the column in SQL"
        )
    return source


def rows_where(
    ctx: Context, spec: ModelSpec, labelled: bool | None, since: str | None = None
) -> str:
    """The spec's rows inside its population (if it has one): with a known label (labelled),
    without one (not labelled) or both (None), and from the cutoff `since` on."""
    quote = ctx.warehouse.quote
    conditions = [f"{quote(spec.population)}"] if spec.population else []
    if labelled is not None:
        conditions.append(f"{quote(spec.target)} is {'not ' if labelled else ''}null")
    if since is not None:
        conditions.append(f"{quote(spec.time_column)} >= date '{since}'")
    return " and ".join(conditions) or "true"


def labelled_frame(ctx: Context, spec: ModelSpec, source: ResolvedSource) -> pd.DataFrame:
    df = ctx.warehouse.read_frame(source.relation, spec.columns, where=rows_where(ctx, spec, True))
    if df.empty:
        population = f" in its population ({spec.population})" if spec.population else ""
        raise DataError(
            f"empty training set: {source.relation} has no rows with {spec.target}{population}"
        )
    df[spec.time_column] = pd.to_datetime(df[spec.time_column])
    return df.sort_values([spec.time_column, *spec.id_columns]).reset_index(drop=True)


def train(ctx: Context, name: str, progress: Progress = lambda _: None) -> ModelVersion:
    """Select, fit and evaluate a model, then record it as an MLflow run and a registered
    version. The first version of a model becomes its champion; later ones are challengers
    until `ml promote`."""
    from ml.plots import test_period_plots

    spec = ctx.spec(name)
    progress("checking the relation")
    source = resolve_and_check(ctx, spec)
    progress("reading labelled rows")
    df = labelled_frame(ctx, spec, source)
    problems, split = data_problems(df, spec)  # before anything is fitted (ml spec check)
    raise_first(problems, spec.name)
    progress("model selection")
    with ctx.threads():
        selection = select_and_fit(spec, split.train, progress=lambda c: progress(f"fitted {c}"))
        progress("evaluating on the test period")
        X_test, y_test = feature_frame(split.test, spec), target_vector(split.test, spec)
        results = evaluate(
            spec, selection.model, split.train, split.test, X_test, y_test, ctx.settings.project_dir
        )
        drift_reference = reference(spec, X_test, predict(selection.model, spec, X_test))
    results["cv"] = selection.cv_results
    results["selected"] = {"candidate": selection.candidate, "params": selection.best_params}
    metadata = {
        "description": spec.description,
        "spec": spec.to_dict(),
        "metrics": results,
        "source": {"relation": str(source.relation), "dbt_node": source.node_id},
        "training_data": frame_fingerprint(split.train, spec),
        "test_data": frame_fingerprint(split.test, spec),
        "split": {
            "train_periods": [str(p.date()) for p in split.train_periods],
            "test_periods": [str(p.date()) for p in split.test_periods],
        },
        "dbt": {
            "invocation_id": ctx.manifest.invocation_id,
            "manifest_sha256": ctx.manifest.sha256,
        },
        "drift_reference": drift_reference,
        "library_versions": model_files.library_versions(),
        "git_commit": model_files.git_commit(ctx.settings.project_dir),
    }
    with tempfile.TemporaryDirectory() as tmp:
        progress("plotting the test period")
        with ctx.threads():
            plots_for = (spec, selection.model, split.test, X_test, y_test)
            test_period_plots(Path(tmp), *plots_for, ctx.settings.project_dir)
        progress("registering in MLflow")
        mv = ctx.registry.save_version(
            spec.name,
            selection.model,
            metadata,
            params=_run_params(spec, selection.candidate, selection.best_params),
            metrics=_run_metrics(results),
            tags=_run_tags(spec, metadata),
            report_dir=Path(tmp),
        )
    if not any(v.is_champion for v in ctx.registry.list_versions(spec.name)):
        ctx.registry.set_alias(mv, CHAMPION, {"promoted_at": _now(), "promotion": "first version"})
        mv = ctx.registry.get_version(spec.name, mv.version)
    return mv


def _run_params(spec: ModelSpec, candidate: str, params: dict) -> dict:
    described = {k: v for k, v in spec.to_dict().items() if k not in ("path", "description")}
    return {
        **flat("spec", described),
        "selected.candidate": candidate,
        **flat("selected.params", params),
    }


def _run_metrics(results: dict) -> dict[str, float]:
    """Every number of the evaluation as MLflow's flat metric names: test.roc_auc,
    baseline.rule_recency_days.roc_auc, oracle.roc_auc, gap_closed, cv.logistic.score, ..."""
    values = {
        "test": results["test"],
        "baseline": results["baselines"],
        "oracle": results.get("oracle", {}),
        "rows": results["rows"],
        "gap_closed": results.get("gap_closed"),
        "mse_improvement": results.get("mse_improvement"),
        "cv": {
            r["candidate"]: {"score": r["cv_score"], "std": r["cv_std"], "warnings": r["warnings"]}
            for r in results["cv"]
        },
    }
    return {
        k: float(v) for k, v in flat("", values).items() if isinstance(v, int | float | np.number)
    }


def _run_tags(spec: ModelSpec, metadata: dict) -> dict[str, str]:
    tags = {
        "spec": spec.description,
        "model_name": spec.name,
        "task": spec.task,
        "source": metadata["source"]["relation"],
        "population": spec.population or "all rows",
        "training_data_sha256": metadata["training_data"]["sha256"],
        "test_data_sha256": metadata["test_data"]["sha256"],
        "dbt_invocation_id": metadata["dbt"]["invocation_id"] or "",
        "dbt_manifest_sha256": metadata["dbt"]["manifest_sha256"] or "",
        "git_commit": metadata["git_commit"] or "",
    }
    return {k: str(v) for k, v in tags.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class HeldOutPeriod:
    """A registered version and its spec's test period, read from today's warehouse."""

    version: ModelVersion
    model: object
    spec: ModelSpec
    split: SplitFrames
    X: pd.DataFrame
    y: np.ndarray


def test_period(ctx: Context, spec: ModelSpec) -> tuple[SplitFrames, pd.DataFrame, np.ndarray]:
    """The spec's split as today's warehouse holds it, and its test period's X and y."""
    split = temporal_split(labelled_frame(ctx, spec, resolve_and_check(ctx, spec)), spec)
    return split, feature_frame(split.test, spec), target_vector(split.test, spec)


def load_test_period(ctx: Context, name: str, version: str | None = None) -> HeldOutPeriod:
    mv = ctx.registry.get_version(name, version)
    model = ctx.registry.load_model(mv)
    spec = ctx.spec(name)
    return HeldOutPeriod(mv, model, spec, *test_period(ctx, spec))


def evaluate_version(ctx: Context, name: str, version: str | None = None) -> dict:
    """Re-run a registered model on its spec's test period with today's data."""
    t = load_test_period(ctx, name, version)
    with ctx.threads():
        results = evaluate(
            t.spec, t.model, t.split.train, t.split.test, t.X, t.y, ctx.settings.project_dir
        )
    results["version"] = t.version.label
    results["test_data"] = frame_fingerprint(t.split.test, t.spec)
    results["same_test_data_as_training"] = (
        results["test_data"]["sha256"] == t.version.metadata["test_data"]["sha256"]
    )
    return results
