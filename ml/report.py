"""`ml report`: a registered version's test period, re-read from today's warehouse, as PNGs and
a short Markdown summary that links them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ml import business
from ml.lifecycle import Context, load_test_period
from ml.plots import test_period_plots
from ml.training import predict, warned


def write_report(ctx: Context, name: str, version: str | None = None) -> Path:
    t = load_test_period(ctx, name, version)
    mv, model, spec, X, y = t.version, t.model, t.spec, t.X, t.y
    out = ctx.settings.reports_dir / spec.name / mv.label
    out.mkdir(parents=True, exist_ok=True)
    with ctx.threads():
        plots = test_period_plots(out, spec, model, t.split.test, X, y, ctx.settings.project_dir)

    metrics = mv.metadata["metrics"]
    lines = [
        f"# {spec.name} {mv.label}",
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
            f"Gap closed: {metrics['gap_closed']:.2f}. Of the distance between the best "
            "baseline's ROC AUC (a rule anyone could apply) and the oracle's (the simulation's "
            "true probabilities, the best any model could do), the share the model covers: 0 "
            "is no better than the rule, 1 is as good as knowing the truth.",
        ]
    if "mse_improvement" in metrics:
        lines += [
            "",
            f"MSE {metrics['mse_improvement']:+.1%} better than the best baseline (the share "
            "by which the model's squared error is lower).",
        ]
    predicted = predict(model, spec, X)
    lines += _business_tables(spec, np.asarray(y), predicted, ctx.settings.project_dir)
    lines += [
        "",
        f"Selected: {metrics['selected']['candidate']} {metrics['selected']['params']}",
        "",
        "| candidate | cv score | estimator warnings (count: first) |",
        "|---|---:|---|",
        *(f"| {r['candidate']} | {r['cv_score']:.4f} | {warned(r)} |" for r in metrics["cv"]),
        "",
    ]
    lines += [f"## {title}\n\n![{title}]({file})\n\n{caption}\n" for title, file, caption in plots]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return out / "report.md"


def _business_tables(spec, y: np.ndarray, score: np.ndarray, project_dir: Path) -> list[str]:
    """Counts a reader acts on: per risk decile and per the churn mart's named bands
    (classification), or mean predicted and actual per decile (regression)."""
    if spec.task != "classification":
        table = business.regression_deciles(y, score)
        return [
            "", "## Predicted and actual by decile of the prediction", "",
            "| decile | rows | mean predicted | mean actual |", "|---:|---:|---:|---:|",
            *(f"| {d} | {int(r.rows):,} | {r.predicted:,.1f} | {r.actual:,.1f} |"
              for d, r in table.iterrows()),
        ]  # fmt: skip
    deciles = business.by_decile(y, score)
    lines = [
        "", "## Members and churn by risk", "", business.top_decile_sentence(deciles), "",
        "| risk decile | members | churned | churn rate | lift | churners reached |",
        "|---:|---:|---:|---:|---:|---:|",
        *(f"| {d} | {int(r.members):,} | {int(r.positives):,} | {r.rate:.1%} | {r.lift:.1f}x | "
          f"{r.reached:.0%} |" for d, r in deciles.iterrows()),
    ]  # fmt: skip
    bands = business.risk_bands(project_dir)
    table = business.by_band(y, score, bands)
    floors = ", ".join(f"{name} from {low:.0%}" for name, low in bands.items())
    lines += [
        "", f"By the churn mart's bands ({floors}; var churn_risk_bands):", "",
        "| band | members | churned | churn rate | lift |", "|---|---:|---:|---:|---:|",
        *(f"| {band} | {int(r.members):,} | {int(r.positives):,} | "
          + ("" if r.members == 0 else f"{r.rate:.1%}") + " | "
          + ("" if r.members == 0 else f"{r.lift:.1f}x") + " |" for band, r in table.iterrows()),
    ]  # fmt: skip
    return lines
