"""Batch scoring: rows to score stream from the warehouse in Arrow batches, never as one big
frame; only the predictions (a few columns) are collected, then written in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from ml import registry
from ml.lifecycle import Context, resolve_and_check
from ml.training import feature_frame, predict
from ml.warehouse import Relation


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
    """Score the rows whose label is not known yet (the target is null), or `where`."""
    mv = registry.get_version(ctx.settings.registry_dir, name, version)
    model = registry.load_model(mv)
    spec = ctx.spec(name)
    source = resolve_and_check(ctx, spec)
    columns = list(dict.fromkeys([*spec.id_columns, spec.time_column, *spec.features]))
    condition = where or f"{ctx.warehouse.quote(spec.target)} is null"
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    parts: list[pa.Table] = []
    for batch in ctx.warehouse.read_batches(source.relation, columns, condition, batch_size):
        df = batch.to_pandas()
        values = predict(model, spec, feature_frame(df, spec))
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
    target = Relation(ctx.settings.scores_schema, ctx.settings.scores_table)
    if scores is None or scores.num_rows == 0:
        return ScoreResult(spec.name, mv.version, 0, [], str(target))
    written = ctx.warehouse.replace_scores(target, scores)
    cutoffs = sorted({str(d) for d in scores.column("cutoff_date").to_pylist()})
    return ScoreResult(spec.name, mv.version, written, cutoffs, str(target))
