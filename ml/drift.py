"""Drift before labels arrive: the population stability index (PSI) of every feature and of the
score, between the rows a version was validated on (its test period) and each cutoff it scores.

A churn label completes 90 days after its cutoff; the inputs and the scores are there at once.
At training, each feature's reference distribution is stored with the version: quantile bins
for a numeric feature (deciles of the test period's rows, ties merged), the frequent
categories for a categorical one, and the missing share as a bin of its own; the scores get
decile bins too. The test period, not the whole training history, is the reference: it is the
latest population the version was shown to work on, while the training rows reach back to the
program's first months, when every lifetime and 12-month feature was still growing.

At scoring, the same bins are counted per cutoff, batch by batch (counts add up, so no cutoff
is ever held in memory), and compared:

    PSI = sum over bins of (actual - expected) * ln(actual / expected)

with shares floored at 1e-4 so an empty bin counts as rare, not infinite. The usual reading,
kept as dbt vars: under 0.1 stable, 0.1 to 0.25 worth a look, above 0.25 a shift.

Evidently and NannyML were considered and left out (docs/ml.md): both install beside the pins
but bring 30+ packages (NannyML a CUDA library among them) for a formula this size, and the
bins must be stored with the MLflow version and counted over streamed batches anyway.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.specs import ModelSpec

BINS = 10
TOP_CATEGORIES = 20
OTHER = "__other__"
FLOOR = 1e-4
SCORE = "__score__"  # the model's own output, monitored beside the features


def _numeric_reference(values: pd.Series) -> dict:
    x = values.to_numpy(dtype=float)
    present = x[~np.isnan(x)]
    quantiles = np.linspace(0, 1, BINS + 1)[1:-1]
    edges = np.unique(np.quantile(present, quantiles)) if present.size else np.array([])
    return {
        "kind": "numeric",
        "edges": edges.tolist(),
        "shares": _shares(_numeric_counts(x, edges)),
    }


def _numeric_counts(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: (-inf, e1], (e1, e2], ..., (ek, inf), then missing."""
    missing = np.isnan(x)
    idx = np.searchsorted(edges, x[~missing], side="left")
    return np.append(np.bincount(idx, minlength=len(edges) + 1), missing.sum())


def _categorical_reference(labels: pd.Series) -> dict:
    top = labels.value_counts().index[:TOP_CATEGORIES].tolist()
    categories = [*top, OTHER]
    return {
        "kind": "categorical",
        "categories": categories,
        "shares": _shares(_categorical_counts(labels, categories)),
    }


def _categorical_counts(labels: pd.Series, categories: list[str]) -> np.ndarray:
    known = pd.Categorical(labels.where(labels.isin(categories[:-1]), OTHER), categories)
    return np.bincount(known.codes, minlength=len(categories))


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return (counts / total).tolist() if total else [0.0] * len(counts)


def reference(spec: ModelSpec, X: pd.DataFrame, scores: np.ndarray) -> dict:
    """The reference rows' distributions, stored with the version (metadata.json). `X` is
    ml.training.feature_frame's: numeric columns as float64 (NaN when missing), categorical
    ones as text (its missing marker a category of its own)."""
    watched = [c for c in spec.features if c not in spec.drift_exempt]
    out = {c: _numeric_reference(X[c]) for c in watched if c in spec.numeric_features}
    out |= {c: _categorical_reference(X[c]) for c in watched if c in spec.categorical_features}
    out[SCORE] = _numeric_reference(pd.Series(scores))
    return {"bins": BINS, "rows": len(X), "features": out}


def psi(expected: list[float], actual: np.ndarray) -> float:
    e = np.maximum(np.asarray(expected, dtype=float), FLOOR)
    a = np.maximum(actual / actual.sum(), FLOOR) if actual.sum() else np.full(len(e), FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


@dataclass
class DriftCounter:
    """Bin counts per cutoff and feature over the scored batches."""

    ref: dict
    counts: dict = field(default_factory=lambda: defaultdict(dict))
    rows: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, cutoffs: pd.Series, X: pd.DataFrame, scores: np.ndarray) -> None:
        frame = X.assign(**{SCORE: scores})
        for cutoff, part in frame.groupby(cutoffs.to_numpy()):
            key = pd.Timestamp(cutoff).date()
            self.rows[key] += len(part)
            for name, ref in self.ref["features"].items():
                counts = self._counts(part[name], ref)
                seen = self.counts[key].get(name)
                self.counts[key][name] = counts if seen is None else seen + counts

    @staticmethod
    def _counts(values: pd.Series, ref: dict) -> np.ndarray:
        """`values` as feature_frame gives them (see reference)."""
        if ref["kind"] == "numeric":
            edges = np.asarray(ref["edges"], dtype=float)
            return _numeric_counts(values.to_numpy(dtype=float), edges)
        return _categorical_counts(values, ref["categories"])

    def results(self) -> list[dict]:
        """One row per cutoff and feature: its PSI and the rows it was counted on."""
        out = []
        for cutoff in sorted(self.counts):
            for name, counts in self.counts[cutoff].items():
                ref = self.ref["features"][name]
                out.append(
                    {
                        "cutoff_date": cutoff,
                        "feature": name,
                        "kind": "score" if name == SCORE else ref["kind"],
                        "psi": psi(ref["shares"], counts),
                        "rows_compared": self.rows[cutoff],
                    }
                )
        return out
