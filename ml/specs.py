"""Model specs: one YAML file per model under ml/specs/, read into a typed object.

A spec says what to learn (task, target, features), from where (a dbt model resolved through
dbt's manifest.json, or an explicit schema.table), how to split time, which estimators and
grids to try, and which metric picks the winner. Estimators are named by their scikit-learn
import path and only scikit-learn's own classes are accepted: a spec must not be a way to
import arbitrary code.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from sklearn.base import BaseEstimator, is_classifier, is_regressor

from ml.dates import rules, spec_date
from ml.errors import SpecError
from ml.transforms import CALENDAR, KINDS, RAW

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
    numeric_transform: str | None = None  # applied before scaling: arcsinh (ml.transforms)
    # the spec's transform sets the grid chooses among ("none": the raw columns)
    transforms: list[str] | None = None

    def build(self, random_state: int) -> BaseEstimator:
        cls = self.estimator_class()
        params = dict(self.params)
        if "random_state" in cls().get_params():
            params.setdefault("random_state", random_state)
        return cls(**params)

    def problems(self, task: Task) -> list[str]:
        """What would make every fit of this candidate fail, found before the first one: an
        estimator of the other task, params or grid keys the estimator does not take."""
        try:
            cls = self.estimator_class()
            cls()
        except SpecError as exc:
            return [f"candidate {self.name}: {exc}"]
        except TypeError:  # StackingRegressor and friends: estimators inside, not a spec's
            return [f"candidate {self.name}: {cls.__name__} needs arguments a spec cannot give"]
        found = []
        kind = "classifier" if task == "classification" else "regressor"
        if not (is_classifier if kind == "classifier" else is_regressor)(cls()):
            found.append(
                f"candidate {self.name}: {cls.__name__} is not a {kind}, and the spec's task "
                f"is {task}"
            )
        known = sorted(cls().get_params())
        for where, keys in (("params", self.params), ("grid", self.grid)):
            for key in keys:
                if key not in known:
                    found.append(
                        f"candidate {self.name}: {where} key {key!r} is not a parameter of "
                        f"{cls.__name__}{_did_you_mean(key, known)}"
                    )
        for key, values in self.grid.items():
            if not isinstance(values, list) or not values:
                found.append(f"candidate {self.name}: grid {key!r} must be a non-empty list")
        return found

    def estimator_class(self) -> type[BaseEstimator]:
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
        return cls


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
    # the time column's month and/or quarter as categorical features (ml.transforms)
    calendar_features: list[str] = field(default_factory=list)
    # named sets of per-feature transforms, {set: {feature: kind}}, that candidates choose among
    transform_sets: dict[str, dict[str, str]] = field(default_factory=dict)
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


# What a spec may say, section by section: anything else is a typo that would otherwise be
# ignored (a misspelt `population` trains on everyone) or end in a TypeError.
KEYS = {
    "": (
        "name", "description", "task", "source", "id_columns", "time_column", "target",
        "population", "features", "drift_exempt", "split", "candidates", "selection_metric",
        "random_state", "baseline", "oracle_file", "transforms",
    ),
    "features": ("numeric", "categorical", "calendar"),
    "baseline": ("feature", "direction"),
    "split": tuple(f.name for f in fields(Split)),
    "candidate": tuple(f.name for f in fields(Candidate)),
}  # fmt: skip
REQUIRED = ("name", "task", "source", "id_columns", "time_column", "target", "features")


def _did_you_mean(key: str, known: list[str] | tuple[str, ...]) -> str:
    close = [k for k in known if k.lower() == key.lower()]
    close = close or difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown(section: Any, known: tuple[str, ...], where: str) -> list[str]:
    if not isinstance(section, dict):
        return [f"{where or 'the spec'} must be a mapping, not {type(section).__name__}"]
    return [
        f"unknown key {key!r} in {where or 'the spec'}{_did_you_mean(str(key), known)}"
        for key in section
        if key not in known
    ]


def static_problems(raw: dict) -> list[str]:
    """Every problem a spec shows without reading data, one line each: unknown or missing
    keys, an unknown task, candidates whose estimator does not fit the task or takes no such
    parameter. `ml spec check` lists them all; loading a spec stops at the first."""
    found = _unknown(raw, KEYS[""], "")
    found += [f"missing required key {key!r}" for key in REQUIRED if key not in raw]
    for section in ("features", "baseline", "split"):
        if section in raw:
            found += _unknown(raw[section], KEYS[section], section)
    found += _transform_problems(raw)
    task = raw.get("task")
    if "task" in raw and task not in METRICS:
        found.append(f"task must be classification or regression, got {task!r}")
    candidates = raw.get("candidates")
    if not isinstance(candidates, list) or not candidates:
        return [*found, "candidates: at least one candidate estimator is needed"]
    for i, candidate in enumerate(candidates):
        where = (
            f"candidate {candidate.get('name', i + 1) if isinstance(candidate, dict) else i + 1}"
        )
        keys = _unknown(candidate, KEYS["candidate"], where)
        missing = [f"{where}: missing {k!r}" for k in ("name", "estimator") if k not in candidate]
        found += keys + missing
        if not (keys or missing) and task in METRICS:
            found += Candidate(**candidate).problems(task)
    return found


def _transform_problems(raw: dict) -> list[str]:
    """Transform sets name numeric features and known kinds; candidates name known sets;
    calendar parts are month or quarter."""
    features = raw.get("features") if isinstance(raw.get("features"), dict) else {}
    numeric = list(features.get("numeric") or [])
    found = [
        f"features.calendar: {part!r} is not one of {', '.join(CALENDAR)}"
        for part in features.get("calendar") or []
        if part not in CALENDAR
    ]
    sets = raw.get("transforms") or {}
    if not isinstance(sets, dict):
        return [*found, "transforms must map set names to {feature: kind}"]
    for name, chosen in sets.items():
        if not isinstance(chosen, dict) or not chosen:
            found.append(f"transforms.{name} must map features to kinds, e.g. {{sales: log}}")
            continue
        for feature, kind in chosen.items():
            if feature not in numeric:
                hint = _did_you_mean(str(feature), numeric)
                found.append(f"transforms.{name}: {feature!r} is not a numeric feature{hint}")
            if kind not in KINDS:
                found.append(
                    f"transforms.{name}.{feature}: unknown kind {kind!r} "
                    f"(one of {', '.join(KINDS)}){_did_you_mean(str(kind), list(KINDS))}"
                )
    for candidate in raw.get("candidates") or []:
        listed = candidate.get("transforms") if isinstance(candidate, dict) else None
        if listed is None:
            continue
        if not isinstance(listed, list) or not listed:
            found.append(f"candidate {candidate.get('name')}: transforms must be a list of sets")
            continue
        for name in listed:
            if name != RAW and name not in sets:
                known = [RAW, *sets]
                found.append(
                    f"candidate {candidate.get('name')}: unknown transform set {name!r} "
                    f"(the spec's: {', '.join(known)}){_did_you_mean(str(name), known)}"
                )
    return found


def _require(raw: dict, key: str, path: Path) -> Any:
    if key not in raw:
        raise SpecError(f"{path}: missing required key {key!r}")
    return raw[key]


def raise_first(problems: list[str], name: str) -> None:
    """Loading or training stops at the first problem, as its one line, and says how to see
    the others (`ml spec check` lists them all)."""
    if problems:
        more = f" (and {len(problems) - 1} more: ml spec check {name})" if problems[1:] else ""
        raise SpecError(f"{problems[0]}{more}")


def parse_spec(raw: dict, path: Path) -> ModelSpec:
    raise_first([f"{path}: {problem}" for problem in static_problems(raw)], Path(path).stem)
    task = raw["task"]
    features = raw["features"]
    candidates = [Candidate(**c) for c in raw["candidates"]]
    for c in candidates:
        if c.numeric_transform is not None and c.numeric_transform not in KINDS:
            raise SpecError(
                f"{path}: numeric_transform of {c.name} must be one of {', '.join(KINDS)}"
            )
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
        calendar_features=list(features.get("calendar") or []),
        transform_sets=dict(raw.get("transforms") or {}),
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


def read_spec_file(specs_dir: Path, name: str) -> tuple[Path, dict]:
    """The spec's path and its YAML as a mapping, refusing names that leave the folder."""
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
        raise SpecError(f"{path}: not valid YAML ({' '.join(str(exc).split())})") from None
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: expected a mapping at the top level")
    return path, raw


def load_spec(specs_dir: Path, name: str) -> ModelSpec:
    path, raw = read_spec_file(specs_dir, name)
    spec = parse_spec(raw, path)
    if spec.name != name:
        raise SpecError(f"{path}: name {spec.name!r} does not match the file name {name!r}")
    return spec


def list_specs(specs_dir: Path) -> list[ModelSpec]:
    return [load_spec(specs_dir, p.stem) for p in sorted(specs_dir.glob("*.yml"))]
