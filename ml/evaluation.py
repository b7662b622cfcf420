"""Honest numbers on the untouched test period, always next to a naive baseline and, where the
data is generated, next to the ceiling the true probabilities reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ml.specs import ModelSpec
from ml.training import predict


def classification_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return {
        "roc_auc": float(skm.roc_auc_score(y, p)),
        "pr_auc": float(skm.average_precision_score(y, p)),
        "log_loss": float(skm.log_loss(y, p, labels=[0, 1])),
        "brier": float(skm.brier_score_loss(y, p)),
        "prevalence": float(np.mean(y)),
    }


def ranking_metrics(y: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """For rules that rank but are not probabilities (e.g. recency)."""
    return {
        "roc_auc": float(skm.roc_auc_score(y, score)),
        "pr_auc": float(skm.average_precision_score(y, score)),
    }


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = 10) -> list[dict]:
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    rows = []
    for b in range(bins):
        hit = idx == b
        if hit.any():
            rows.append(
                {
                    "bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}",
                    "rows": int(hit.sum()),
                    "mean_predicted": float(p[hit].mean()),
                    "observed_rate": float(y[hit].mean()),
                }
            )
    return rows


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    mse = skm.mean_squared_error(y, pred)
    nonzero = y != 0  # MAPE is undefined where the truth is 0 (churned members earn 0 points)
    return {
        "mse": float(mse),
        "rmse": float(np.sqrt(mse)),
        "mae": float(skm.mean_absolute_error(y, pred)),
        "mape": float(skm.mean_absolute_percentage_error(y[nonzero], pred[nonzero]))
        if nonzero.any()
        else float("nan"),
        "mape_rows": int(nonzero.sum()),
        "r2": float(skm.r2_score(y, pred)),
    }


def _baseline_score(test: pd.DataFrame, spec: ModelSpec) -> np.ndarray:
    s = pd.to_numeric(test[spec.baseline_feature], errors="coerce").astype(float)
    if spec.baseline_direction == "higher_is_positive":
        return s.fillna(s.max() + 1).to_numpy()  # never seen = most likely positive
    return -s.fillna(s.min() - 1).to_numpy()


def load_oracle(spec: ModelSpec, project_dir: Path, test: pd.DataFrame) -> np.ndarray | None:
    """True probabilities per (id, period) from the generator, aligned to the test rows."""
    if not spec.oracle_file:
        return None
    path = project_dir / spec.oracle_file
    if not path.exists():
        return None
    truth = pd.read_csv(path)
    id_col, time_col = spec.id_columns[0], spec.time_column
    truth = truth.rename(columns={"cutoff_date": time_col})
    truth[time_col] = pd.to_datetime(truth[time_col])
    keys = test[[id_col, time_col]].copy()
    keys[time_col] = pd.to_datetime(keys[time_col])
    keys[id_col] = keys[id_col].astype("int64")
    merged = keys.merge(truth[[id_col, time_col, "p_no_purchase_90d"]], how="left")
    return merged["p_no_purchase_90d"].to_numpy()


def evaluate(
    spec: ModelSpec,
    model,
    train: pd.DataFrame,
    test: pd.DataFrame,
    X_test: pd.DataFrame,
    y_test: np.ndarray,
    project_dir: Path,
) -> dict:
    y_train = pd.to_numeric(train[spec.target]).astype(float).to_numpy()
    out: dict = {"rows": {"train": len(train), "test": len(test)}, "baselines": {}}
    if spec.task == "classification":
        p = predict(model, spec, X_test)
        out["test"] = classification_metrics(y_test, p)
        out["calibration"] = calibration_table(y_test, p)
        prevalence = np.full(len(y_test), y_train.mean())
        out["baselines"]["prevalence"] = classification_metrics(y_test, prevalence)
        if spec.baseline_feature:
            out["baselines"][f"rule:{spec.baseline_feature}"] = ranking_metrics(
                y_test, _baseline_score(test, spec)
            )
        best = max(out["baselines"], key=lambda b: out["baselines"][b]["roc_auc"])
        out["best_baseline"] = best
        oracle = load_oracle(spec, project_dir, test)
        if oracle is not None and not np.isnan(oracle).any():
            out["oracle"] = classification_metrics(y_test, oracle)
            base, ceiling = out["baselines"][best]["roc_auc"], out["oracle"]["roc_auc"]
            model_auc = out["test"]["roc_auc"]
            out["gap_closed"] = (model_auc - base) / (ceiling - base) if ceiling > base else None
    else:
        pred = predict(model, spec, X_test)
        out["test"] = regression_metrics(y_test, pred)
        out["baselines"]["mean"] = regression_metrics(y_test, np.full(len(y_test), y_train.mean()))
        if spec.baseline_feature:
            last = pd.to_numeric(test[spec.baseline_feature]).astype(float).fillna(0).to_numpy()
            out["baselines"][f"last_value:{spec.baseline_feature}"] = regression_metrics(
                y_test, last
            )
        best = min(out["baselines"], key=lambda b: out["baselines"][b]["mse"])
        out["best_baseline"] = best
        out["mse_improvement"] = 1 - out["test"]["mse"] / out["baselines"][best]["mse"]
    return out
