"""The steps the CLI runs, as plain functions tests call directly: train, evaluate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ml import registry
from ml.config import Settings
from ml.dbt_artifacts import DbtManifest, ResolvedSource, check_columns
from ml.errors import DataError
from ml.evaluation import evaluate
from ml.specs import ModelSpec, load_spec
from ml.training import (
    SplitFrames,
    feature_frame,
    frame_fingerprint,
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
        return cls(
            settings,
            open_warehouse(settings),
            DbtManifest(settings.manifest_path),
        )

    def spec(self, name: str) -> ModelSpec:
        return load_spec(self.settings.specs_dir, name)


def resolve_and_check(ctx: Context, spec: ModelSpec) -> ResolvedSource:
    """Fail early, naming what is wrong: unknown relation, missing columns, contract drift."""
    source = ctx.manifest.resolve(spec.source)
    actual = ctx.warehouse.columns(source.relation)
    check_columns(source, actual, spec.columns, ctx.warehouse.dialect)
    return source


def labelled_frame(ctx: Context, spec: ModelSpec, source: ResolvedSource) -> pd.DataFrame:
    df = ctx.warehouse.read_frame(
        source.relation, spec.columns, where=f"{ctx.warehouse.quote(spec.target)} is not null"
    )
    if df.empty:
        raise DataError(f"empty training set: {source.relation} has no rows with {spec.target}")
    df[spec.time_column] = pd.to_datetime(df[spec.time_column])
    return df.sort_values([spec.time_column, *spec.id_columns]).reset_index(drop=True)


def train(ctx: Context, name: str, progress: Progress = lambda _: None) -> registry.ModelVersion:
    spec = ctx.spec(name)
    progress("checking the relation")
    source = resolve_and_check(ctx, spec)
    progress("reading labelled rows")
    df = labelled_frame(ctx, spec, source)
    split = temporal_split(df, spec)
    progress("model selection")
    selection = select_and_fit(spec, split.train, progress=lambda c: progress(f"fitted {c}"))
    progress("evaluating on the test period")
    X_test, y_test = feature_frame(split.test, spec), target_vector(split.test, spec)
    results = evaluate(
        spec, selection.model, split.train, split.test, X_test, y_test, ctx.settings.project_dir
    )
    results["cv"] = selection.cv_results
    results["selected"] = {"candidate": selection.candidate, "params": selection.best_params}
    metadata = {
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
    }
    progress("saving to the registry")
    return registry.save_version(
        ctx.settings.registry_dir,
        spec.name,
        selection.model,
        metadata,
        project_dir=ctx.settings.project_dir,
    )


@dataclass
class HeldOutPeriod:
    """A registered version and its spec's test period, read from today's warehouse."""

    version: registry.ModelVersion
    model: object
    spec: ModelSpec
    split: SplitFrames
    X: pd.DataFrame
    y: np.ndarray


def load_test_period(ctx: Context, name: str, version: str | None = None) -> HeldOutPeriod:
    mv = registry.get_version(ctx.settings.registry_dir, name, version)
    model = registry.load_model(mv)
    spec = ctx.spec(name)
    split = temporal_split(labelled_frame(ctx, spec, resolve_and_check(ctx, spec)), spec)
    return HeldOutPeriod(
        mv, model, spec, split, feature_frame(split.test, spec), target_vector(split.test, spec)
    )


def evaluate_version(ctx: Context, name: str, version: str | None = None) -> dict:
    """Re-run a registered model on its spec's test period with today's data."""
    t = load_test_period(ctx, name, version)
    results = evaluate(
        t.spec, t.model, t.split.train, t.split.test, t.X, t.y, ctx.settings.project_dir
    )
    results["version"] = t.version.version
    results["test_data"] = frame_fingerprint(t.split.test, t.spec)
    results["same_test_data_as_training"] = (
        results["test_data"]["sha256"] == t.version.metadata["test_data"]["sha256"]
    )
    return results
