"""Model specs: one YAML file per model under ml/specs/, read into a typed object.

A spec says what to learn (task, target, features), from where (a dbt model resolved through
dbt's manifest.json, or an explicit schema.table), how to split time, which estimators and
grids to try, and which metric picks the winner. Estimators are named by their scikit-learn
import path and only scikit-learn's own classes are accepted: a spec must not be a way to
import arbitrary code.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from sklearn.base import BaseEstimator

from ml.dates import rules, spec_date
from ml.errors import SpecError

Task = Literal["classification", "regression"]
METRICS = {
    "classification": ("roc_auc", "average_precision", "neg_log_loss", "neg_brier_score"),
    "regression": ("neg_mean_squared_error", "neg_mean_absolute_error", "r2"),
}


@dataclass(frozen=True)
class Candidate:
    name: str
    estimator: str  # import path, e.g. sklearn.linear_model.LogisticRegression
    params: dict[str, Any] = field(default_factory=dict)
    grid: dict[str, list[Any]] = field(default_factory=dict)
    numeric_transform: str | None = None  # applied before scaling: arcsinh (ml.training)

    def build(self, random_state: int) -> BaseEstimator:
        module_name, _, class_name = self.estimator.rpartition(".")
        if not module_name.startswith("sklearn."):
            raise SpecError(
                f"estimator {self.estimator!r}: only scikit-learn estimators are allowed"
            )
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError):
            raise SpecError(
                f"estimator {self.estimator!r} does not exist in scikit-learn"
            ) from None
        if not (isinstance(cls, type) and issubclass(cls, BaseEstimator)):
            raise SpecError(f"{self.estimator!r} is not a scikit-learn estimator")
        params = dict(self.params)
        if "random_state" in cls().get_params():
            params.setdefault("random_state", random_state)
        return cls(**params)


@dataclass(frozen=True)
class Split:
    """Time split: test = periods from `test_start` on (or the last `test_periods` labelled
    periods), up to `test_end` if given; train+validation = periods from `train_start` (if
    given) to at least `gap_periods` before the test, so no training label window overlaps the
    test period."""

    test_start: str | None = None
    test_periods: int | None = None
    # a bounded window: rows before train_start or after test_end are neither trained nor
    # tested on (dates as ml.dates reads them; date_format when they read two ways)
    train_start: str | None = None
    test_end: str | None = None
    date_format: str | None = None
    gap_periods: int = 0
    cv_folds: int = 3
    cv_block_periods: int | None = None  # each fold's validation periods (ml.training.PeriodSplit)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: Task
    source: str
    id_columns: list[str]
    time_column: str
    target: str
    numeric_features: list[str]
    categorical_features: list[str]
    candidates: list[Candidate]
    selection_metric: str
    split: Split
    description: str = ""
    random_state: int = 42
    baseline_feature: str | None = None  # recency-like (classification) or last value (regression)
    baseline_direction: Literal["higher_is_positive", "lower_is_positive"] = "higher_is_positive"
    oracle_file: str | None = None  # generated data only: true probabilities for the ceiling
    # a boolean column: the rows the model is trained, evaluated, scored and monitored on
    population: str | None = None
    # features whose drift is not watched, each with its reason in the spec (a calendar
    # feature: the training rows cover every month, a scored cutoff one)
    drift_exempt: list[str] = field(default_factory=list)
    path: str = ""

    @property
    def features(self) -> list[str]:
        return [*self.numeric_features, *self.categorical_features]

    @property
    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for c in [*self.id_columns, self.time_column, self.target, *self.features]:
            seen.setdefault(c, None)
        if self.baseline_feature:
            seen.setdefault(self.baseline_feature, None)
        if self.population:
            seen.setdefault(self.population, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()


def _require(raw: dict, key: str, path: Path) -> Any:
    if key not in raw:
        raise SpecError(f"{path}: missing required key {key!r}")
    return raw[key]


def parse_spec(raw: dict, path: Path) -> ModelSpec:
    task = _require(raw, "task", path)
    if task not in METRICS:
        raise SpecError(f"{path}: task must be classification or regression, got {task!r}")
    features = _require(raw, "features", path)
    candidates = [Candidate(**c) for c in _require(raw, "candidates", path)]
    if not candidates:
        raise SpecError(f"{path}: at least one candidate estimator is needed")
    for c in candidates:
        if c.numeric_transform not in (None, "arcsinh"):
            raise SpecError(f"{path}: numeric_transform of {c.name} must be arcsinh or absent")
    metric = raw.get("selection_metric", METRICS[task][0])
    if metric not in METRICS[task]:
        raise SpecError(f"{path}: selection_metric {metric!r} is not one of {METRICS[task]}")
    split = _split(raw.get("split", {}), path)
    ids = _require(raw, "id_columns", path)
    return ModelSpec(
        name=_require(raw, "name", path),
        task=task,
        source=_require(raw, "source", path),
        id_columns=[ids] if isinstance(ids, str) else list(ids),
        time_column=_require(raw, "time_column", path),
        target=_require(raw, "target", path),
        numeric_features=list(features.get("numeric", [])),
        categorical_features=list(features.get("categorical", [])),
        candidates=candidates,
        selection_metric=metric,
        split=split,
        description=raw.get("description", ""),
        random_state=int(raw.get("random_state", 42)),
        baseline_feature=raw.get("baseline", {}).get("feature"),
        baseline_direction=raw.get("baseline", {}).get("direction", "higher_is_positive"),
        oracle_file=raw.get("oracle_file"),
        population=raw.get("population"),
        drift_exempt=list(raw.get("drift_exempt", [])),
        path=str(path),
    )


def _split(raw: dict, path: Path) -> Split:
    split = Split(**raw)
    if (split.test_start is None) == (split.test_periods is None):
        raise SpecError(f"{path}: split needs exactly one of test_start or test_periods")
    dates = {
        key: spec_date(value, f"{path}: split.{key}", rules(), split.date_format)
        for key in ("train_start", "test_start", "test_end")
        if (value := getattr(split, key)) is not None
    }
    split = replace(split, **dates)
    for first, then in [("train_start", "test_start"), ("test_start", "test_end")]:
        if first in dates and then in dates and dates[first] > dates[then]:
            raise SpecError(f"{path}: split.{first} {dates[first]} is after {then} {dates[then]}")
    return split


# A spec name is a file name in the specs folder, nothing that could walk out of it.
SPEC_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def load_spec(specs_dir: Path, name: str) -> ModelSpec:
    if not SPEC_NAME.fullmatch(name):
        raise SpecError(
            f"model name {name!r} is not a spec name (letters, digits, '_' and '-'): "
            f"specs are the .yml files of {specs_dir}"
        )
    path = specs_dir / f"{name}.yml"
    if path.exists() and path.resolve().parent != specs_dir.resolve():
        raise SpecError(f"{path} leads outside {specs_dir} (a link): refusing to read it")
    if not path.exists():
        known = ", ".join(s.stem for s in sorted(specs_dir.glob("*.yml"))) or "none"
        raise SpecError(f"unknown model {name!r}: no {path} (specs: {known})")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: expected a mapping at the top level")
    try:
        spec = parse_spec(raw, path)
    except TypeError as exc:  # unexpected keys in candidates or split
        raise SpecError(f"{path}: {exc}") from None
    if spec.name != name:
        raise SpecError(f"{path}: name {spec.name!r} does not match the file name {name!r}")
    return spec


def list_specs(specs_dir: Path) -> list[ModelSpec]:
    return [load_spec(specs_dir, p.stem) for p in sorted(specs_dir.glob("*.yml"))]
