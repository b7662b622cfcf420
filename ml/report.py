"""The pictures people look at: curves, calibration, residuals and feature importance as PNGs,
with a short Markdown summary that links them."""

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
from ml.lifecycle import Context, load_test_period
from ml.specs import ModelSpec
from ml.training import predict

IMPORTANCE_ROWS = 3000  # permutation importance on a sample keeps the report quick


def _save(fig, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path.name


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
    plots.append(("ROC curve", _save(fig, out / "roc.png")))

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, score in [("model", p), ("baseline rule", baseline), ("oracle (true p)", oracle)]:
        if score is not None:
            prec, rec, _ = precision_recall_curve(y, score)
            ax.plot(rec, prec, label=label)
    ax.set(xlabel="recall", ylabel="precision", title="Precision-recall curve")
    ax.legend(loc="lower left")
    plots.append(("Precision-recall curve", _save(fig, out / "pr.png")))

    table = pd.DataFrame(calibration_table(y, p))
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], "k:", lw=0.8, label="perfect")
    ax.plot(table.mean_predicted, table.observed_rate, "o-", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed rate", title="Calibration")
    ax.legend(loc="upper left")
    plots.append(("Calibration", _save(fig, out / "calibration.png")))
    return plots


def _regression_plots(out: Path, y, pred) -> list[tuple[str, str]]:
    plots = []
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(y, pred, s=4, alpha=0.3)
    top = float(max(np.max(y), np.max(pred)))
    ax.plot([0, top], [0, top], "k:", lw=0.8)
    ax.set(xlabel="actual", ylabel="predicted", title="Predicted vs actual")
    plots.append(("Predicted vs actual", _save(fig, out / "predicted_vs_actual.png")))

    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(pred, y - pred, s=4, alpha=0.3)
    ax.axhline(0, color="k", lw=0.8)
    ax.set(xlabel="predicted", ylabel="residual (actual - predicted)", title="Residuals")
    plots.append(("Residuals", _save(fig, out / "residuals.png")))
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
    return ("Permutation feature importance", _save(fig, out / "importance.png"))


def write_report(ctx: Context, name: str, version: str | None = None) -> Path:
    t = load_test_period(ctx, name, version)
    mv, model, spec, split, X, y = t.version, t.model, t.spec, t.split, t.X, t.y
    out = ctx.settings.reports_dir / spec.name / mv.version
    out.mkdir(parents=True, exist_ok=True)
    if spec.task == "classification":
        p = predict(model, spec, X)
        baseline = _baseline_score(split.test, spec) if spec.baseline_feature else None
        oracle = load_oracle(spec, ctx.settings.project_dir, split.test)
        oracle = None if oracle is None or np.isnan(oracle).any() else oracle
        plots = _classification_plots(out, y, p, baseline, oracle)
    else:
        plots = _regression_plots(out, y, predict(model, spec, X))
    plots.append(_importance_plot(out, spec, model, X, y))

    metrics = mv.metadata["metrics"]
    lines = [
        f"# {spec.name} {mv.version}",
        "",
        spec.description,
        "",
        f"Test period: {', '.join(mv.metadata['split']['test_periods'])} "
        f"({metrics['rows']['test']} rows; trained on {metrics['rows']['train']}).",
        "",
        "| | " + " | ".join(metrics["test"]) + " |",
        "|---|" + "---:|" * len(metrics["test"]),
    ]
    rows = [("model", metrics["test"]), *metrics["baselines"].items()]
    if "oracle" in metrics:
        rows.append(("oracle (true probabilities)", metrics["oracle"]))
    for label, values in rows:
        cells = [f"{values[k]:.4f}" if k in values else "" for k in metrics["test"]]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if metrics.get("gap_closed") is not None:
        lines += [
            "",
            f"Share of the baseline-to-oracle ROC AUC gap closed: {metrics['gap_closed']:.2f}",
        ]
    if "mse_improvement" in metrics:
        lines += ["", f"MSE improvement over the best baseline: {metrics['mse_improvement']:.1%}"]
    lines += [
        "",
        f"Selected: {metrics['selected']['candidate']} {metrics['selected']['params']}",
        "",
    ]
    lines += [f"## {title}\n\n![{title}]({file})\n" for title, file in plots]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return out / "report.md"
