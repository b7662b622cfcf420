"""The MLflow-backed registry on a real embedded store (SQLite + artifact folder): versions,
aliases, what a run records, and every way a version's artifacts can be unusable."""

import os
import pickle
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

from ml import model_files
from ml.errors import ArtifactError, SpecError
from ml.registry import CHAMPION, MODEL_FILE, Registry

SPEC = {"name": "churn", "target": "churned", "features": ["a", "b", "c"], "seed": 7}


class Evil:
    """Stands in for any class skops must not build from a file."""


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Registry:
    """One embedded store for the module (creating one migrates a database: seconds); each
    test registers models under names of its own."""
    return Registry(f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}")


@pytest.fixture
def name(request) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)


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


def _meta(roc_auc: float = 0.8) -> dict:
    return {
        "spec": SPEC,
        "split": {"test_periods": ["2025-01-01"]},
        "metrics": {
            "test": {"roc_auc": roc_auc},
            "baselines": {"rule:recency": {"roc_auc": 0.7}},
            "best_baseline": "rule:recency",
            "selected": {"candidate": "logistic", "params": {}},
            "cv": [],
        },
        "data_fingerprint": "abc123",
    }


def _save(store: Registry, model, name: str, roc_auc: float = 0.8, report_dir=None):
    return store.save_version(
        name,
        model,
        _meta(roc_auc),
        params={"spec.target": "churned", "selected.params.C": 1.0},
        metrics={"test.roc_auc": roc_auc, "baseline.rule:recency.roc_auc": 0.7},
        tags={"dbt_invocation_id": "inv-1", "spec": "a test model"},
        report_dir=report_dir,
    )


def _model_file(version) -> Path:
    return Path(version.source.removeprefix("file://")) / MODEL_FILE


@pytest.mark.parametrize(
    "kind", ["logistic", "hist_gradient_boosting_regressor", "random_forest_classifier"]
)
def test_round_trip_predicts_identically(store, name, data, kind):
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

    saved = _save(store, model, name, roc_auc=np.float64(0.81))
    loaded = store.load_model(store.get_version(name, "latest"))

    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    unseen = X.assign(c="platinum")  # handle_unknown="ignore" must survive the round trip
    np.testing.assert_array_equal(loaded.predict(unseen), model.predict(unseen))
    assert saved.version == "1" and saved.label == "v1"
    assert saved.metrics["test"]["roc_auc"] == 0.81


def test_the_run_and_version_read_back_through_mlflows_client(store, name, classifier, tmp_path):
    (tmp_path / "roc.png").write_bytes(b"\x89PNG not really")
    saved = _save(store, classifier, name, report_dir=tmp_path)
    client = store.client

    run = client.get_run(saved.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["spec.target"] == "churned"
    assert run.data.metrics["test.roc_auc"] == 0.8
    assert run.data.metrics["baseline.rule_recency.roc_auc"] == 0.7  # ':' made portable
    assert run.data.tags["dbt_invocation_id"] == "inv-1"
    assert run.data.tags["model_sha256"] == model_files.sha256(_model_file(saved))
    artifacts = {f.path for f in client.list_artifacts(saved.run_id)}
    assert artifacts == {"model", "report"}
    assert {f.path for f in client.list_artifacts(saved.run_id, "model")} == {
        "model/model.skops",
        "model/metadata.json",
    }
    assert [f.path for f in client.list_artifacts(saved.run_id, "report")] == ["report/roc.png"]

    version = client.get_model_version(name, "1")
    assert version.run_id == saved.run_id and version.source == saved.source
    assert version.tags["model_sha256"] == saved.tags["model_sha256"]
    assert saved.metadata["spec"] == SPEC and saved.metadata["created_at"]


def test_versions_aliases_and_what_a_name_means(store, name, classifier):
    first = _save(store, classifier, name, roc_auc=0.6)
    second = _save(store, classifier, name, roc_auc=0.9)
    assert [first.version, second.version] == ["1", "2"]
    with pytest.raises(SpecError, match=r"no version or alias 'champion'.*versions: 1, 2"):
        store.get_version(name)  # no champion yet
    store.set_alias(first, CHAMPION, {"promotion": "first version"})

    assert store.get_version(name).version == "1"  # None means the champion
    assert store.get_version(name, "latest").metrics["test"]["roc_auc"] == 0.9
    assert store.get_version(name, "v2").version == store.get_version(name, "2").version == "2"
    champion = store.get_version(name, "champion")
    assert champion.is_champion and champion.tags["promotion"] == "first version"
    assert str(store.client.get_model_version_by_alias(name, CHAMPION).version) == "1"
    with pytest.raises(SpecError, match=r"no version or alias 'v9'.*1 \(champion\), 2"):
        store.get_version(name, "v9")
    with pytest.raises(SpecError, match=r"no model 'nope'.*run `ml train nope` first"):
        store.get_version("nope")
    with pytest.raises(SpecError, match=re.escape("no model '../churn'")):
        store.get_version("../churn")


def test_a_bad_name_or_metadata_fails_before_a_run(store, classifier):
    with pytest.raises(SpecError, match="use letters, digits"):
        _save(store, classifier, "../escape")
    with pytest.raises(TypeError, match="not JSON"):
        store.save_version(
            "odd_meta", classifier, {"when": object()}, params={}, metrics={}, tags={}
        )
    names = {e.name for e in store.client.search_experiments()}
    assert not names & {"../escape", "odd_meta"}


def test_a_crash_while_saving_leaves_a_failed_run_and_no_version(
    store, name, classifier, monkeypatch
):
    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(store.client, "create_model_version", crash)
    with pytest.raises(OSError, match="disk full"):
        _save(store, classifier, name)
    monkeypatch.undo()

    experiment = store.client.get_experiment_by_name(name)
    (run,) = store.client.search_runs([experiment.experiment_id])
    assert run.info.status == "FAILED"
    assert store.list_versions(name) == []
    assert _save(store, classifier, name).version == "1"


def test_a_flipped_byte_is_refused_by_checksum(store, name, classifier):
    saved = _save(store, classifier, name)
    model_file = _model_file(saved)
    raw = bytearray(model_file.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    model_file.write_bytes(bytes(raw))

    with pytest.raises(ArtifactError, match=r"v1 is broken: model.skops was modified .*checksum"):
        store.get_version(name, "1")
    (listed,) = store.list_versions(name, check_files=True)
    assert "checksum mismatch" in listed.problem


def test_a_pickle_swapped_in_is_refused_even_with_its_checksum_recorded(store, name, classifier):
    saved = _save(store, classifier, name)
    model_file = _model_file(saved)
    model_file.write_bytes(pickle.dumps(classifier))
    # an attacker who can write the store fixes the recorded checksum too
    store.client.set_model_version_tag(name, "1", "model_sha256", model_files.sha256(model_file))

    with pytest.raises(ArtifactError, match="is not a readable skops file"):
        store.load_model(store.get_version(name, "1"))


@pytest.mark.parametrize(
    ("payload", "type_name"),
    [(Evil(), "test_registry.Evil"), (os.system, "system"), ({"f": eval}, "builtins.eval")],
)
def test_untrusted_types_are_refused_even_with_a_valid_checksum(
    store, name, classifier, payload, type_name
):
    saved = _save(store, classifier, name)
    model_file = _model_file(saved)
    sio.dump(payload, model_file)
    store.client.set_model_version_tag(name, "1", "model_sha256", model_files.sha256(model_file))

    with pytest.raises(ArtifactError, match=rf"untrusted types .*{type_name}.*refusing"):
        store.load_model(store.get_version(name, "1"))


def test_a_version_without_its_artifacts_is_refused_and_does_not_hide_others(
    store, name, classifier
):
    old, new = _save(store, classifier, name), _save(store, classifier, name)
    _model_file(old).unlink()
    (_model_file(new).parent / "metadata.json").write_text("{not json")
    third = _save(store, classifier, name)

    versions = store.list_versions(name, check_files=True)
    assert "model.skops is missing from its artifacts" in versions[0].problem
    assert "cannot read its metadata.json" in versions[1].problem
    assert versions[2].problem is None
    with pytest.raises(ArtifactError, match=r"v1 is broken: model.skops is missing"):
        store.get_version(name, "1")
    assert store.load_model(store.get_version(name, third.version)) is not None


def test_a_version_registered_by_hand_without_a_checksum_is_refused(store, name, classifier):
    saved = _save(store, classifier, name)
    store.client.delete_model_version_tag(name, "1", "model_sha256")
    with pytest.raises(ArtifactError, match="no model_sha256 tag"):
        store.get_version(name, saved.version)


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
        ("scipy.interpolate._bsplines.BSpline", True),  # a declared spline transform
        ("scipy._lib.array_api_compat.numpy._aliases.asarray", True),  # the one function
        ("scipy._lib.array_api_compat.numpy._aliases.empty", False),  # not listed
        ("scipy.interpolate._bsplines.make_interp_spline", False),
    ],
)
def test_trust_is_by_defining_package_not_by_name(type_name, trusted):
    assert model_files.is_trusted_type(type_name) is trusted


def test_git_commit_is_none_outside_a_repo(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    not_a_repo = tmp_path / "project"
    not_a_repo.mkdir()
    assert model_files.git_commit(not_a_repo) is None
    monkeypatch.setenv("PATH", str(tmp_path / "no-binaries-here"))
    assert model_files.git_commit(not_a_repo) is None


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_git_commit_is_read_inside_a_repo(tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    assert model_files.git_commit(repo) == head


def test_cli_lists_every_model_and_names_the_broken_version(store, classifier):
    from typer.testing import CliRunner

    from ml.cli import app

    good = _save(store, classifier, "cli_ok")
    store.set_alias(good, CHAMPION, {})
    broken = _save(store, classifier, "cli_broken")
    _model_file(broken).unlink()
    runner = CliRunner()
    listed = runner.invoke(app, ["--tracking-uri", store.tracking_uri, "models", "list"])
    assert listed.exit_code == 5, listed.output
    (row,) = [line for line in listed.output.splitlines() if "cli_ok" in line]
    assert re.search(r"v1\s.*champion.*0\.8000", row)
    assert "broken: cli_broken v1: model.skops is missing" in listed.output
    show = ["--tracking-uri", store.tracking_uri, "models", "show", "cli_broken", "--version", "1"]
    shown = runner.invoke(app, show)
    assert shown.exit_code == 5 and "Traceback" not in shown.output
    assert "cli_broken v1 is broken" in shown.output


@pytest.mark.parametrize("spec_name", ["../x", "a/b", "..", ".hidden", "x.yml"])
def test_spec_names_cannot_leave_the_specs_folder(tmp_path, spec_name):
    from ml.specs import load_spec

    with pytest.raises(SpecError, match="is not a spec name"):
        load_spec(tmp_path, spec_name)
