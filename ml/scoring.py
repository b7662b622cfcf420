"""Batch scoring: rows to score stream from the warehouse in Arrow batches, never as one big
frame; only the predictions (a few columns) are collected, then written in one transaction.

A version scores every cutoff from its test period on, inside the spec's population: the
test cutoffs, whose labels were known at training, are its backtest, and every later cutoff
is live. So the realised performance (dbt's ml_score_outcomes and mart_model_performance)
has rows as soon as a version is scored, and gains one per cutoff as labels complete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pyarrow as pa

from ml.drift import DriftCounter
from ml.lifecycle import Context, resolve_and_check, rows_where
from ml.registry import ModelVersion
from ml.training import feature_frame, predict
from ml.warehouse import DRIFT, SCORES, VERSIONS


@dataclass(frozen=True)
class ScoreResult:
    model: str
    version: str
    rows: int
    cutoffs: list[str]
    table: str


def _entity_ids(batch_df, id_columns: list[str]) -> list[str]:
    parts = [batch_df[c].astype(str) for c in id_columns]
    joined = parts[0]
    for p in parts[1:]:
        joined = joined + "|" + p
    return joined.tolist()


def score(
    ctx: Context,
    name: str,
    version: str | None = None,
    batch_size: int = 50_000,
    where: str | None = None,
    progress: Callable[[int], None] = lambda _: None,
) -> ScoreResult:
    """Score the version's cutoffs (the champion's unless a version is given), or `where`."""
    mv = ctx.registry.get_version(name, version)
    model = ctx.registry.load_model(mv)
    spec = ctx.spec(name)
    source = resolve_and_check(ctx, spec)
    columns = list(dict.fromkeys([*spec.id_columns, spec.time_column, *spec.features]))
    # every row of the population from the version's first test cutoff on, labelled or not
    first_test = mv.metadata["split"]["test_periods"][0]
    condition = where or rows_where(ctx, spec, labelled=None, since=first_test)
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    parts: list[pa.Table] = []
    # versions trained before drift was watched have no reference: they score, unmonitored
    drift = (
        DriftCounter(mv.metadata["drift_reference"]) if "drift_reference" in mv.metadata else None
    )
    for batch in ctx.warehouse.read_batches(source.relation, columns, condition, batch_size):
        df = batch.to_pandas()
        X = feature_frame(df, spec)
        with ctx.threads():
            values = predict(model, spec, X)
        if drift is not None:
            drift.add(df[spec.time_column], X, values)
        parts.append(
            pa.table(
                {
                    "model_name": pa.array([spec.name] * len(df), pa.string()),
                    "model_version": pa.array([mv.version] * len(df), pa.string()),
                    "entity_id": pa.array(_entity_ids(df, spec.id_columns), pa.string()),
                    "cutoff_date": pa.array(df[spec.time_column]).cast(pa.date32()),
                    "score": pa.array(np.asarray(values, dtype="float64")),
                    "scored_at": pa.array([scored_at] * len(df), pa.timestamp("us")),
                }
            )
        )
        progress(len(df))
    scores = pa.concat_tables(parts) if parts else None
    schema = ctx.settings.scores_schema
    target = f"{schema}.{SCORES.name}"
    if scores is None or scores.num_rows == 0:
        return ScoreResult(spec.name, mv.version, 0, [], target)
    ctx.warehouse.replace_rows(schema, VERSIONS, version_rows([mv], scored_at))
    if drift is not None:
        ctx.warehouse.replace_rows(schema, DRIFT, _drift_rows(mv, drift, scored_at))
    written = ctx.warehouse.replace_rows(schema, SCORES, scores)
    cutoffs = sorted({str(d) for d in scores.column("cutoff_date").to_pylist()})
    return ScoreResult(spec.name, mv.version, written, cutoffs, target)


def _drift_rows(mv: ModelVersion, drift: DriftCounter, computed_at: datetime) -> pa.Table:
    rows = [
        {"model_name": mv.model_name, "model_version": mv.version, **r, "computed_at": computed_at}
        for r in drift.results()
    ]
    return pa.Table.from_pylist(rows, schema=DRIFT.arrow_schema)


def version_rows(versions: list[ModelVersion], written_at: datetime) -> pa.Table:
    """The versions table's rows: what dbt joins scores to labels with (task, target) and the
    test metrics measured at training, which the realised ones are compared with."""
    rows = []
    for mv in versions:
        spec, test = mv.metadata["spec"], mv.metrics.get("test", {})
        rows.append(
            {
                "model_name": mv.model_name,
                "model_version": mv.version,
                "task": spec["task"],
                "target": spec["target"],
                "population": spec.get("population"),
                "first_test_cutoff": date.fromisoformat(mv.metadata["split"]["test_periods"][0]),
                **{
                    f"test_{m}": test.get(m) for m in ("roc_auc", "brier", "log_loss", "mae", "mse")
                },
                "is_champion": mv.is_champion,
                "mlflow_run_id": mv.run_id,
                "written_at": written_at,
            }
        )
    return pa.Table.from_pylist(rows, schema=VERSIONS.arrow_schema)
