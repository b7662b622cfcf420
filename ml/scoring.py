"""Batch scoring: rows to score stream from the warehouse in Arrow batches, never as one big
frame; only the predictions (a few columns) are collected, then written in one transaction.

A version scores every cutoff from its test period on, inside the spec's population: the
test cutoffs, whose labels were known at training, are its backtest, and every later cutoff
is live. So the realised performance (dbt's ml_score_outcomes and mart_model_performance)
has rows as soon as a version is scored, and gains one per cutoff as labels complete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

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
    """Score the version's cutoffs (the champion's unless a version is given), or `where`."""
    mv = ctx.registry.get_version(name, version)
    model = ctx.registry.load_model(mv)
    spec = ctx.spec(name)
    source = resolve_and_check(ctx, spec)
    columns = list(dict.fromkeys([*spec.id_columns, spec.time_column, *spec.features]))
    condition = where or _scored_rows(ctx, spec, mv.metadata["split"]["test_periods"][0])
    scored_at = datetime.now(UTC).replace(tzinfo=None)
    parts: list[pa.Table] = []
    for batch in ctx.warehouse.read_batches(source.relation, columns, condition, batch_size):
        df = batch.to_pandas()
        with ctx.threads():
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


def _scored_rows(ctx: Context, spec, first_test_period: str) -> str:
    """Every row of the population from the version's first test cutoff on, labelled or not."""
    condition = f"{ctx.warehouse.quote(spec.time_column)} >= date '{first_test_period}'"
    if spec.population:
        condition += f" and {ctx.warehouse.quote(spec.population)}"
    return condition
