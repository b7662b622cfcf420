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

from ml import business
from ml.evaluation import _baseline_score, calibration_table, load_oracle
from ml.specs import ModelSpec
from ml.training import predict

# Permutation importance on a sample: each feature and repeat predicts every sampled row again
# (90 predictions for churn's 30 features), and every `ml train` writes a report. On the
# default seeds' champions 1,500 rows give the same top three features in the same order as
# 3,000 (three samples of each); below those the order moves from sample to sample at either
# size. Half the rows, half the cost: the reports took about a minute of CPU in `make test`.
IMPORTANCE_ROWS = 1500


def save_figure(fig, path: Path) -> Path:
    """Every PNG of the package is written the same way (`ml report`, `ml train`, `ml monitor`)."""
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _gains_plots(out: Path, y, p, baseline) -> list[tuple[str, str, str]]:
    """Cumulative gains and lift by decile: who to contact first, and what it buys."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, score in [("model", p), ("baseline rule", baseline)]:
        if score is not None:
            ax.plot(*business.gains(y, score), label=label)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8, label="random")
    ax.set(xlabel="share of members contacted, riskiest first", ylabel="share of churners reached")
    ax.set(title="Cumulative gains")
    ax.legend(loc="lower right")
    deciles = business.by_decile(y, p)
    at = deciles.reached.iloc[1]
    gains_caption = (
        f"Contacting the riskiest 20% of members by the model's score reaches {at:.0%} of "
        "those who churned; at random it would reach 20%."
    )
    plots = [("Cumulative gains", save_figure(fig, out / "gains.png").name, gains_caption)]

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.bar(deciles.index, deciles.lift)
    ax.axhline(1, color="k", lw=0.8)
    ax.set(xlabel="risk decile (1 = highest scores)", ylabel="churn rate / average rate")
    ax.set(title="Lift by decile", xticks=deciles.index)
    caption = business.top_decile_sentence(deciles)
    plots.append(("Lift by decile", save_figure(fig, out / "lift.png").name, caption))
    return plots


def _classification_plots(out: Path, y, p, baseline, oracle) -> list[tuple[str, str, str]]:
    plots = []
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, score in [("model", p), ("baseline rule", baseline), ("oracle (true p)", oracle)]:
        if score is not None:
            fpr, tpr, _ = roc_curve(y, score)
            ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    ax.legend(loc="lower right")
    caption = (
        "How well the score ranks churners above the others at every threshold: the model's "
        "curve above the baseline rule's is what it adds; the oracle's is the simulation's "
        "hidden truth, the ceiling."
    )
    plots.append(("ROC curve", save_figure(fig, out / "roc.png").name, caption))

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, score in [("model", p), ("baseline rule", baseline), ("oracle (true p)", oracle)]:
        if score is not None:
            prec, rec, _ = precision_recall_curve(y, score)
            ax.plot(rec, prec, label=label)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall curve")
    ax.legend(loc="lower left")
    caption = (
        f"Of the members flagged at a threshold, the share who churned (precision) against the "
        f"share of churners flagged (recall); the average rate is {np.mean(y):.1%}."
    )
    plots.append(("Precision-recall curve", save_figure(fig, out / "pr.png").name, caption))

    table = pd.DataFrame(calibration_table(y, p))
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", lw=0.8, label="perfect")
    ax.plot(table.mean_predicted, table.observed_rate, "o-", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title="Calibration")
    ax.legend(loc="upper left")
    caption = (
        "Members grouped by predicted probability: on the diagonal, a group scored 30% "
        "churned 30% of the time, so the score can be read as a probability."
    )
    plots.append(("Calibration", save_figure(fig, out / "calibration.png").name, caption))
    return plots


def _regression_plots(out: Path, y, pred) -> list[tuple[str, str, str]]:
    plots = []
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(y, pred, s=4, alpha=0.3)
    top = float(max(np.max(y), np.max(pred)))
    ax.plot([0, top], [0, top], "k:", lw=0.8)
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    caption = "Each row of the test period: on the diagonal the prediction was exact."
    name = save_figure(fig, out / "predicted_vs_actual.png").name
    plots.append(("Predicted vs actual", name, caption))

    deciles = business.regression_deciles(y, pred)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot(deciles.index, deciles.predicted, "o-", label="mean predicted")
    ax.plot(deciles.index, deciles.actual, "s-", label="mean actual")
    ax.set(
        xlabel="decile of the prediction (1 = lowest)", ylabel="mean value", xticks=deciles.index
    )
    ax.set(title="Predicted vs actual by decile")
    ax.legend(loc="upper left")
    top = deciles.iloc[-1]
    caption = (
        f"Rows in ten groups by prediction: the top tenth was predicted {top.predicted:,.0f} on "
        f"average and reached {top.actual:,.0f}; where the lines part, the model is off for "
        "that group."
    )
    plots.append(
        ("Predicted vs actual by decile", save_figure(fig, out / "deciles.png").name, caption)
    )

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(pred, y - pred, s=4, alpha=0.3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set(xlabel="predicted", ylabel="residual (actual - predicted)", title="Residuals")
    caption = "Actual minus predicted: a band even around zero means no systematic error."
    plots.append(("Residuals", save_figure(fig, out / "residuals.png").name, caption))
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
    caption = (
        "How much worse the model gets when one feature's values are shuffled: the features "
        "it leans on most are at the top."
    )
    name = save_figure(fig, out / "importance.png").name
    return ("Permutation feature importance", name, caption)


def test_period_plots(out: Path, spec: ModelSpec, model, test, X, y, project_dir: Path) -> list:
    """The PNGs of a model on its test period (`test`: its rows, X and y: its features and
    labels), written to `out`; returns (title, file name, caption) triples."""
    if spec.task == "classification":
        p = predict(model, spec, X)
        baseline = _baseline_score(test, spec) if spec.baseline_feature else None
        oracle = load_oracle(spec, project_dir, test)
        oracle = None if oracle is None or np.isnan(oracle).any() else oracle
        plots = _classification_plots(out, y, p, baseline, oracle)
        plots += _gains_plots(out, y, p, baseline)
    else:
        plots = _regression_plots(out, y, predict(model, spec, X))
    plots.append(_importance_plot(out, spec, model, X, y))
    return plots
