"""Champion and challenger. Every new version is a challenger; the champion (an MLflow alias)
is the version `ml score` uses. A challenger takes the alias only on evidence: both versions
are evaluated on the spec's test period as today's warehouse holds it, by the spec's selection
metric, and the challenger must be strictly better. `force` overrides that with a reason,
which is recorded on the version beside the numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sklearn.metrics import get_scorer

from ml.errors import PromotionRefused, SpecError
from ml.lifecycle import Context, test_period
from ml.registry import CHAMPION, ModelVersion
from ml.scoring import version_rows
from ml.warehouse import VERSIONS


@dataclass(frozen=True)
class Comparison:
    model: str
    metric: str  # the spec's selection metric, as scikit-learn scores it (higher is better)
    challenger: ModelVersion
    champion: ModelVersion | None
    challenger_score: float
    champion_score: float | None
    test_periods: list[str]
    rows: int
    forced: bool = False

    @property
    def better(self) -> bool:
        return self.champion_score is None or self.challenger_score > self.champion_score


def current_champion(ctx: Context, name: str) -> ModelVersion | None:
    versions = ctx.registry.list_versions(name)
    return next((v for v in versions if v.is_champion), None)


def compare(ctx: Context, name: str, version: str | None = None) -> Comparison:
    """The challenger (`version`, default the latest) against the champion, on the same rows."""
    spec = ctx.spec(name)
    challenger = ctx.registry.get_version(name, version or "latest")
    champion = current_champion(ctx, name)
    split, X, y = test_period(ctx, spec)
    scorer = get_scorer(spec.selection_metric)
    with ctx.threads():
        challenger_score = float(scorer(ctx.registry.load_model(challenger), X, y))
        champion_score = None
        if champion is not None and champion.version != challenger.version:
            champion_model = ctx.registry.load_model(champion.usable())
            champion_score = float(scorer(champion_model, X, y))
    return Comparison(
        name,
        spec.selection_metric,
        challenger,
        champion,
        challenger_score,
        champion_score,
        [str(p.date()) for p in split.test_periods],
        len(split.test),
    )


def promote(
    ctx: Context, name: str, version: str | None = None, force: bool = False, reason: str = ""
) -> Comparison:
    """Make the challenger the champion if it beats it (or `force`, with a reason)."""
    if force and not reason.strip():
        raise SpecError("--force needs --reason: say why the evidence is overridden")
    result = compare(ctx, name, version)
    if result.champion is not None and result.champion.version == result.challenger.version:
        raise PromotionRefused(f"{name} {result.challenger.label} is already the champion", result)
    if not result.better and not force:
        raise PromotionRefused(
            f"{name} {result.challenger.label} does not beat the champion "
            f"{result.champion.label} on {result.metric} over the test period "
            f"{', '.join(result.test_periods)} ({result.rows:,} rows): "
            f"{result.challenger_score:.4f} vs {result.champion_score:.4f}. "
            "Keep the champion, or `ml promote --force --reason ...`",
            result,
        )
    tags = {
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "promotion": "forced" if not result.better else "better on the test period",
        "promotion_metric": result.metric,
        "promotion_score": f"{result.challenger_score:.6f}",
        "promotion_test_periods": ",".join(result.test_periods),
    }
    if result.champion is not None:
        tags["promoted_over"] = result.champion.version
        tags["promoted_over_score"] = f"{result.champion_score:.6f}"
    if force:
        tags["promotion_reason"] = reason.strip()
    ctx.registry.set_alias(result.challenger, CHAMPION, tags)
    # the warehouse's copy of who is champion (mart_model_performance and _drift test the
    # champions' rows): the new one and the one it replaced
    moved = [v for v in (result.challenger, result.champion) if v is not None]
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = version_rows([ctx.registry.get_version(name, v.version) for v in moved], now)
    ctx.warehouse.replace_rows(ctx.settings.scores_schema, VERSIONS, rows)
    return Comparison(**{**result.__dict__, "forced": force and not result.better})
