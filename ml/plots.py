"""The pictures people look at: curves, calibration, residuals and feature importance as PNGs.
`ml train` logs them with the model's MLflow run; `ml report` writes them beside a summary."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.inspection import permutation_importance
from sklearn.metrics import precision_recall_curve, roc_curve

from ml.evaluation import _baseline_score, calibration_table, load_oracle
from ml.specs import ModelSpec
from ml.training import predict

IMPORTANCE_ROWS = 3000  # permutation importance on a sample keeps the report quick


def save_figure(fig, path: Path) -> Path:
    """Every PNG of the package is written the same way (`ml report`, `ml train`, `ml monitor`)."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _classification_plots(out: Path, y, p, baseline, oracle) -> list[tuple[str, str]]:
    plots = []
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, score in [("model", p), ("baseline rule", baseline), ("oracle (true p)", oracle)]:
        if score is not None:
            fpr, tpr, _ = roc_curve(y, score)
            ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    ax.legend(loc="lower right")
    plots.append(("ROC curve", save_figure(fig, out / "roc.png").name))

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, score in [("model", p), ("baseline rule", baseline), ("oracle (true p)", oracle)]:
        if score is not None:
            prec, rec, _ = precision_recall_curve(y, score)
            ax.plot(rec, prec, label=label)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall curve")
    ax.legend(loc="lower left")
    plots.append(("Precision-recall curve", save_figure(fig, out / "pr.png").name))

    table = pd.DataFrame(calibration_table(y, p))
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", lw=0.8, label="perfect")
    ax.plot(table.mean_predicted, table.observed_rate, "o-", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title="Calibration")
    ax.legend(loc="upper left")
    plots.append(("Calibration", save_figure(fig, out / "calibration.png").name))
    return plots


def _regression_plots(out: Path, y, pred) -> list[tuple[str, str]]:
    plots = []
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(y, pred, s=4, alpha=0.3)
    top = float(max(np.max(y), np.max(pred)))
    ax.plot([0, top], [0, top], "k:", lw=0.8)
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    plots.append(("Predicted vs actual", save_figure(fig, out / "predicted_vs_actual.png").name))

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(pred, y - pred, s=4, alpha=0.3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set(xlabel="predicted", ylabel="residual (actual - predicted)", title="Residuals")
    plots.append(("Residuals", save_figure(fig, out / "residuals.png").name))
    return plots


def _importance_plot(out: Path, spec: ModelSpec, model, X, y) -> tuple[str, str]:
    rng = np.random.default_rng(spec.random_state)
    take = rng.choice(len(X), size=min(IMPORTANCE_ROWS, len(X)), replace=False)
    scoring = "roc_auc" if spec.task == "classification" else "neg_mean_squared_error"
    result = permutation_importance(
        model, X.iloc[take], y[take], scoring=scoring, n_repeats=3, random_state=spec.random_state
    )
    order = np.argsort(result.importances_mean)[-15:]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.barh(
        np.array(X.columns)[order],
        result.importances_mean[order],
        xerr=result.importances_std[order],
    )
    ax.set(xlabel=f"drop in {scoring} when shuffled", title="Permutation feature importance")
    return ("Permutation feature importance", save_figure(fig, out / "importance.png").name)


def test_period_plots(out: Path, spec: ModelSpec, model, test, X, y, project_dir: Path) -> list:
    """The PNGs of a model on its test period (`test`: its rows, X and y: its features and
    labels), written to `out`; returns (title, file name) pairs."""
    if spec.task == "classification":
        p = predict(model, spec, X)
        baseline = _baseline_score(test, spec) if spec.baseline_feature else None
        oracle = load_oracle(spec, project_dir, test)
        oracle = None if oracle is None or np.isnan(oracle).any() else oracle
        plots = _classification_plots(out, y, p, baseline, oracle)
    else:
        plots = _regression_plots(out, y, predict(model, spec, X))
    plots.append(_importance_plot(out, spec, model, X, y))
    return plots
