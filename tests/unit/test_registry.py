import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from ml import registry
from ml.errors import ArtifactError, SpecError
from ml.registry import (
    get_version,
    list_models,
    list_versions,
    load_model,
    save_version,
)

SPEC = {"name": "churn", "target": "churned", "features": ["a", "b", "c"], "seed": 7}


class Evil:
    """Stands in for any class skops must not build from a file."""


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    rng = np.random.default_rng(0)
    n = 60
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["gold", "silver", "bronze"], size=n).astype(object),
        }
    )
    X.loc[::7, "a"] = np.nan
    X.loc[::9, "c"] = None
    y_class = (X["b"] + (X["c"] == "gold") > 0.3).astype(int)
    y_reg = 2 * X["b"] + rng.normal(scale=0.1, size=n)
    return X, y_class, y_reg


def _pipeline(estimator) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), ["a", "b"]),
            (
                "cat",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                ["c"],
            ),
        ]
    )
    return Pipeline([("pre", pre), ("model", estimator)])


@pytest.fixture(scope="module")
def classifier(data) -> Pipeline:
    X, y, _ = data
    return _pipeline(LogisticRegression()).fit(X, y)


def _meta(**metrics) -> dict:
    return {
        "spec": SPEC,
        "metrics": {"test": {"roc_auc": 0.8, **metrics}, "validation": {"roc_auc": 0.75}},
        "data_fingerprint": "abc123",
        "dbt_invocation_id": "inv-1",
    }


def _save(tmp_path: Path, model, name: str = "churn", **metrics):
    return save_version(tmp_path / "reg", name, model, _meta(**metrics), project_dir=tmp_path)


@pytest.mark.parametrize(
    "kind", ["logistic", "hist_gradient_boosting_regressor", "random_forest_classifier"]
)
def test_round_trip_predicts_identically(tmp_path, data, kind):
    X, y_class, y_reg = data
    model = {
        "logistic": lambda: _pipeline(LogisticRegression()).fit(X, y_class),
        "hist_gradient_boosting_regressor": lambda: _pipeline(
            HistGradientBoostingRegressor(max_iter=10)
        ).fit(X, y_reg),
        "random_forest_classifier": lambda: _pipeline(
            RandomForestClassifier(n_estimators=5, random_state=0)
        ).fit(X, y_class),
    }[kind]()

    saved = _save(tmp_path, model, roc_auc=np.float64(0.81))
    loaded = load_model(get_version(tmp_path / "reg", "churn"))

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    unseen = X.assign(c="platinum")  # handle_unknown="ignore" must survive the round trip
    np.testing.assert_array_equal(loaded.predict(unseen), model.predict(unseen))
    assert saved.version == "v0001"
    assert saved.metrics["test"]["roc_auc"] == 0.81


def test_metadata_metrics_and_spec_files_round_trip(tmp_path, classifier):
    saved = _save(tmp_path, classifier)
    folder = tmp_path / "reg" / "churn" / "v0001"

    meta = json.loads((folder / "metadata.json").read_text())
    assert meta["spec"] == SPEC
    assert meta["data_fingerprint"] == "abc123"
    assert meta["dbt_invocation_id"] == "inv-1"
    assert meta["model_name"] == "churn"
    assert meta["version"] == "v0001"
    assert meta["model_file"] == "model.skops"
    assert meta["model_sha256"] == registry._sha256(folder / "model.skops")
    assert saved.created_at.utcoffset().total_seconds() == 0
    assert json.loads((folder / "metrics.json").read_text()) == _meta()["metrics"]
    assert json.loads((folder / "spec.json").read_text()) == SPEC
    assert (folder / "COMPLETE").is_file()
    libs = meta["library_versions"]
    for name in ("python", "scikit-learn", "skops", "numpy", "pandas"):
        assert libs[name], name
    assert get_version(tmp_path / "reg", "churn").metadata == meta == saved.metadata


def test_versions_increment_and_latest_is_newest(tmp_path, classifier):
    first = _save(tmp_path, classifier, roc_auc=0.6)
    second = _save(tmp_path, classifier, roc_auc=0.9)

    assert [first.version, second.version] == ["v0001", "v0002"]
    assert [v.version for v in list_versions(tmp_path / "reg", "churn")] == ["v0001", "v0002"]
    latest = get_version(tmp_path / "reg", "churn")
    assert latest.version == "v0002"
    assert latest.metrics["test"]["roc_auc"] == 0.9
    assert get_version(tmp_path / "reg", "churn", "latest").version == "v0002"
    assert get_version(tmp_path / "reg", "churn", "v0001").metrics["test"]["roc_auc"] == 0.6
    assert get_version(tmp_path / "reg", "churn", "1").version == "v0001"


def test_unknown_model_or_version_names_what_exists(tmp_path, classifier):
    _save(tmp_path, classifier)
    _save(tmp_path, classifier)
    _save(tmp_path, classifier, name="clv")

    with pytest.raises(ArtifactError, match=r"no model 'nope'.*models: churn, clv"):
        get_version(tmp_path / "reg", "nope")
    with pytest.raises(ArtifactError, match=r"no version 'v0009'.*versions: v0001, v0002"):
        get_version(tmp_path / "reg", "churn", "v0009")
    with pytest.raises(ArtifactError, match="models: none"):
        get_version(tmp_path / "empty", "churn")
    with pytest.raises(ArtifactError, match=re.escape("no model '../churn'")):
        get_version(tmp_path / "reg", "../churn")


def test_version_without_complete_marker_is_ignored(tmp_path, classifier):
    _save(tmp_path, classifier, roc_auc=0.6)
    crashed = _save(tmp_path, classifier, roc_auc=0.99)
    (crashed.path / "COMPLETE").unlink()
    only_crashed = _save(tmp_path, classifier, name="clv")
    (only_crashed.path / "COMPLETE").unlink()

    assert [v.version for v in list_versions(tmp_path / "reg", "churn")] == ["v0001"]
    assert get_version(tmp_path / "reg", "churn").metrics["test"]["roc_auc"] == 0.6
    assert list_models(tmp_path / "reg") == ["churn"]
    # The crashed folder keeps its number: the next run must not write into it.
    assert _save(tmp_path, classifier).version == "v0003"


def test_concurrent_run_taking_the_number_makes_us_retry(tmp_path, classifier, monkeypatch):
    real_mkdir = Path.mkdir

    def racing_mkdir(self, *args, **kwargs):
        if self.name == "v0001" and not self.exists():
            real_mkdir(self)  # another process wins the race for v0001
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", racing_mkdir)
    saved = _save(tmp_path, classifier)

    assert saved.version == "v0002"
    assert list((tmp_path / "reg" / "churn" / "v0001").iterdir()) == []


def test_bad_metadata_or_name_fails_before_a_version_is_taken(tmp_path, classifier):
    with pytest.raises(TypeError, match="not JSON"):
        save_version(tmp_path / "reg", "churn", classifier, {"metrics": {"when": object()}})
    with pytest.raises(ValueError, match="version"):
        save_version(tmp_path / "reg", "churn", classifier, {"version": "mine"})
    with pytest.raises(SpecError, match="cannot be a registry folder"):
        save_version(tmp_path / "reg", "../escape", classifier, {})

    assert not (tmp_path / "reg").exists()
    assert not (tmp_path / "escape").exists()


def test_crash_while_writing_removes_the_half_written_version(tmp_path, classifier, monkeypatch):
    def dump_then_crash(obj, file):
        Path(file).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(registry.sio, "dump", dump_then_crash)
    with pytest.raises(OSError, match="disk full"):
        _save(tmp_path, classifier)
    monkeypatch.undo()

    assert list((tmp_path / "reg" / "churn").iterdir()) == []
    assert _save(tmp_path, classifier).version == "v0001"


def test_flipped_byte_is_refused_by_checksum(tmp_path, classifier):
    saved = _save(tmp_path, classifier)
    model_file = saved.path / "model.skops"
    raw = bytearray(model_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    model_file.write_bytes(bytes(raw))

    with pytest.raises(ArtifactError, match=r"modified after it was saved.*checksum mismatch"):
        load_model(get_version(tmp_path / "reg", "churn"))


@pytest.mark.parametrize(
    ("payload", "type_name"),
    [(Evil(), "test_registry.Evil"), (os.system, "system"), ({"f": eval}, "builtins.eval")],
)
def test_untrusted_type_is_refused_even_with_a_valid_checksum(
    tmp_path, classifier, payload, type_name
):
    saved = _save(tmp_path, classifier)
    model_file = saved.path / "model.skops"
    sio.dump(payload, model_file)
    meta_file = saved.path / "metadata.json"
    meta = json.loads(meta_file.read_text())
    meta["model_sha256"] = registry._sha256(model_file)  # an attacker fixes the checksum too
    meta_file.write_text(json.dumps(meta))

    with pytest.raises(ArtifactError, match=rf"untrusted types .*{type_name}.*refusing"):
        load_model(get_version(tmp_path / "reg", "churn"))


@pytest.mark.parametrize(
    ("type_name", "trusted"),
    [
        ("numpy.dtype", True),
        ("sklearn.tree._tree.Tree", True),
        ("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor", True),
        ("scipy.sparse.csr_matrix", True),
        ("sklearn.base.clone", False),  # a function under sklearn: called by the reduce loader
        ("sklearn.utils.os", False),  # a module re-exported into sklearn
        ("numpy.memmap", False),  # its constructor writes files
        ("sklearnx.Model", False),
        ("builtins.eval", False),
        ("posix.system", False),
    ],
)
def test_trust_is_by_defining_package_not_by_name(type_name, trusted):
    assert registry.is_trusted_type(type_name) is trusted


def test_git_commit_is_none_outside_a_repo(tmp_path, classifier, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    not_a_repo = tmp_path / "project"
    not_a_repo.mkdir()
    saved = save_version(tmp_path / "reg", "churn", classifier, _meta(), project_dir=not_a_repo)
    assert saved.metadata["git_commit"] is None

    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries-here"))
    assert registry.git_commit(not_a_repo) is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_is_recorded_inside_a_repo(tmp_path, classifier):
    repo = tmp_path / "project"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()

    saved = save_version(tmp_path / "reg", "churn", classifier, _meta(), project_dir=repo)
    assert saved.metadata["git_commit"] == head


def _edit_metadata(version, **changes) -> None:
    meta_file = version.path / "metadata.json"
    meta = json.loads(meta_file.read_text())
    for key, value in changes.items():
        if value is None:
            meta.pop(key)
        else:
            meta[key] = value
    meta_file.write_text(json.dumps(meta))


def test_model_file_outside_its_version_folder_is_refused(tmp_path, classifier):
    saved = _save(tmp_path, classifier)
    outside = tmp_path / "outside.skops"
    shutil.copy(saved.path / "model.skops", outside)
    for escape in ("../../../outside.skops", str(outside), "..", "sub/model.skops"):
        _edit_metadata(saved, model_file=escape)
        (listed,) = list_versions(tmp_path / "reg", "churn")
        assert "not a file of its own version folder" in listed.problem
        with pytest.raises(ArtifactError, match="not a file of its own version folder"):
            load_model(get_version(tmp_path / "reg", "churn"))


def test_a_symlink_out_of_the_version_folder_is_refused(tmp_path, classifier):
    saved = _save(tmp_path, classifier)
    outside = tmp_path / "outside.skops"
    shutil.copy(saved.path / "model.skops", outside)
    (saved.path / "link.skops").symlink_to(outside)
    _edit_metadata(saved, model_file="link.skops")
    with pytest.raises(ArtifactError, match="not a file of its own version folder"):
        get_version(tmp_path / "reg", "churn")


def test_a_broken_old_version_does_not_hide_or_block_the_others(tmp_path, classifier):
    old, new = _save(tmp_path, classifier), _save(tmp_path, classifier)
    (old.path / "metadata.json").write_text("{not json")
    versions = list_versions(tmp_path / "reg", "churn")
    assert [v.version for v in versions] == ["v0001", "v0002"]
    assert "cannot read metadata.json" in versions[0].problem and versions[1].problem is None
    assert load_model(get_version(tmp_path / "reg", "churn")) is not None  # latest still loads
    with pytest.raises(ArtifactError, match=r"v0001 is broken: cannot read metadata\.json"):
        get_version(tmp_path / "reg", "churn", "v0001")
    assert new.version == "v0002"


def test_listing_verifies_the_checksum_and_required_fields(tmp_path, classifier):
    tampered, incomplete = _save(tmp_path, classifier), _save(tmp_path, classifier)
    model_file = tampered.path / "model.skops"
    model_file.write_bytes(model_file.read_bytes() + b"\0")
    _edit_metadata(incomplete, metrics=None)
    problems = [v.problem for v in list_versions(tmp_path / "reg", "churn", check_files=True)]
    assert "checksum mismatch" in problems[0]
    assert "metadata.json lacks metrics" in problems[1]
    with pytest.raises(ArtifactError, match=r"v0002 is broken: metadata\.json lacks metrics"):
        get_version(tmp_path / "reg", "churn")  # the newest is broken: no silent fallback


def _full_meta() -> dict:
    metrics = {
        "test": {"roc_auc": 0.8},
        "baselines": {"rule:recency": {"roc_auc": 0.7}},
        "best_baseline": "rule:recency",
        "selected": {"candidate": "logistic", "params": {}},
        "cv": [],
    }
    return {**_meta(), "metrics": metrics}


def test_cli_lists_every_model_and_names_the_broken_version(tmp_path, classifier):
    from typer.testing import CliRunner

    from ml.cli import app

    reg = tmp_path / "reg"
    save_version(reg, "churn", classifier, _full_meta(), project_dir=tmp_path)
    broken = save_version(reg, "clv", classifier, _full_meta(), project_dir=tmp_path)
    _edit_metadata(broken, metrics=None)
    runner = CliRunner()
    listed = runner.invoke(app, ["--registry", str(reg), "models", "list"])
    assert listed.exit_code == 5
    assert "0.8000" in listed.output  # churn still listed with its metric
    assert "broken: clv v0001: metadata.json lacks metrics" in listed.output
    shown = runner.invoke(app, ["--registry", str(reg), "models", "show", "clv"])
    assert shown.exit_code == 5 and "Traceback" not in shown.output
    assert "clv v0001 is broken" in shown.output


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "x.yml"])
def test_spec_names_cannot_leave_the_specs_folder(tmp_path, name):
    from ml.specs import load_spec

    with pytest.raises(SpecError, match="is not a spec name"):
        load_spec(tmp_path, name)
