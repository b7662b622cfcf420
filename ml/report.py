"""`ml report`: a registered version's test period, re-read from today's warehouse, as PNGs and
a short Markdown summary that links them."""

from __future__ import annotations

from pathlib import Path

from ml.lifecycle import Context, load_test_period
from ml.plots import test_period_plots
from ml.training import warned


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
            f"Share of the baseline-to-oracle ROC AUC gap closed: {metrics['gap_closed']:.2f}",
        ]
    if "mse_improvement" in metrics:
        lines += ["", f"MSE improvement over the best baseline: {metrics['mse_improvement']:.1%}"]
    lines += [
        "",
        f"Selected: {metrics['selected']['candidate']} {metrics['selected']['params']}",
        "",
        "| candidate | cv score | estimator warnings (count: first) |",
        "|---|---:|---|",
        *(f"| {r['candidate']} | {r['cv_score']:.4f} | {warned(r)} |" for r in metrics["cv"]),
        "",
    ]
    lines += [f"## {title}\n\n![{title}]({file})\n" for title, file in plots]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    return out / "report.md"
