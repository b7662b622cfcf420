"""The `ml` CLI through typer's CliRunner: happy paths, and every error a user can hit gets one
clear line and a stable exit code (never a traceback)."""

from __future__ import annotations

import json
import pickle
import shutil
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from ml.cli import app
from ml.model_files import sha256
from ml.registry import Registry

pytestmark = pytest.mark.integration
runner = CliRunner()

TINY_SPEC = {
    "name": "tiny",
    "task": "regression",
    "source": "ml_member_features",
    "id_columns": ["member_id"],
    "time_column": "cutoff_date",
    "target": "points_next_90d",
    "features": {"numeric": ["points_earned_3m", "recency_days"], "categorical": ["tier"]},
    "split": {"test_periods": 3, "gap_periods": 3, "cv_folds": 2},
    "candidates": [
        {"name": "ridge", "estimator": "sklearn.linear_model.Ridge", "grid": {"alpha": [1.0, 10.0]}}
    ],
    "selection_metric": "neg_mean_squared_error",
}


@pytest.fixture
def specs(tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "tiny.yml").write_text(yaml.safe_dump(TINY_SPEC))
    return folder


def invoke(args, warehouse, tmp_path, specs, target=None):
    base = [
        "--warehouse",
        str(warehouse.path),
        "--tracking-uri",
        f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}",
        "--target-dir",
        str(target or warehouse.target),
    ]
    env = {"LOYALTY_SPECS": str(specs), "LOYALTY_REPORTS": str(tmp_path / "reports")}
    result = runner.invoke(app, [*base, *args], env=env)
    assert "Traceback" not in result.output
    return result


def write_spec(specs, **changes):
    (specs / f"{changes['name']}.yml").write_text(yaml.safe_dump({**TINY_SPEC, **changes}))


def test_train_evaluate_score_report_list_show(warehouse, tmp_path, specs):
    trained = invoke(["train", "tiny"], warehouse, tmp_path, specs)
    assert trained.exit_code == 0, trained.output
    said = " ".join(trained.output.split())  # rich wraps long lines
    assert "tiny v1" in said and "better than" in said
    assert "the champion (first version)" in said
    evaluated = invoke(["evaluate", "tiny"], warehouse, tmp_path, specs)
    assert evaluated.exit_code == 0 and "same rows as at training" in evaluated.output
    scored = invoke(["score", "tiny"], warehouse, tmp_path, specs)
    assert scored.exit_code == 0 and "scores for cutoff" in scored.output
    reported = invoke(["report", "tiny"], warehouse, tmp_path, specs)
    assert reported.exit_code == 0, reported.output
    report_dir = tmp_path / "reports" / "tiny" / "v1"
    pngs = {p.name for p in report_dir.glob("*.png")}
    assert {"predicted_vs_actual.png", "residuals.png", "importance.png"} <= pngs
    assert "(predicted_vs_actual.png)" in (report_dir / "report.md").read_text()
    listed = invoke(["models", "list"], warehouse, tmp_path, specs)
    assert listed.exit_code == 0 and "tiny" in listed.output
    shown = invoke(["models", "show", "tiny", "--json"], warehouse, tmp_path, specs)
    assert shown.exit_code == 0
    assert json.loads(shown.stdout)["tags"]["model_sha256"]
    assert json.loads(shown.stdout)["aliases"] == ["champion"]


def test_json_on_stdout_for_scripts(warehouse, tmp_path, specs):
    """--json: one JSON document on stdout, the progress lines on stderr."""
    trained = invoke(["train", "tiny", "--json"], warehouse, tmp_path, specs)
    assert trained.exit_code == 0, trained.output
    result = json.loads(trained.stdout)
    assert (result["version"], result["is_champion"]) == ("1", True)
    assert result["metrics"]["test"]["mse"] > 0 and result["metrics"]["mse_improvement"] > 0
    assert "tiny: model selection" in trained.stderr
    evaluated = json.loads(
        invoke(["evaluate", "tiny", "--json"], warehouse, tmp_path, specs).stdout
    )
    assert evaluated["test"] == pytest.approx(result["metrics"]["test"], rel=1e-12)
    scored = invoke(["score", "tiny", "--json"], warehouse, tmp_path, specs)
    assert json.loads(scored.stdout)["rows"] > 0 and "scoring tiny" in scored.stderr
    listed = json.loads(invoke(["models", "list", "--json"], warehouse, tmp_path, specs).stdout)
    (tiny,) = listed["models"]
    assert tiny["model"] == "tiny" and tiny["versions"][0]["aliases"] == ["champion"]
    assert tiny["versions"][0]["mse_improvement"] == result["metrics"]["mse_improvement"]
    again = invoke(["promote", "tiny"], warehouse, tmp_path, specs)  # v1 is the champion
    assert again.exit_code == 6 and "tiny v1 is already the champion" in again.stderr
    assert "champion (already)" in again.stdout and "challenger" not in again.stdout
    monitored = invoke(["monitor", "tiny", "--json"], warehouse, tmp_path, specs)
    assert monitored.exit_code == 0, monitored.output
    assert json.loads(monitored.stdout)["version"] == "1"


def test_unknown_model(warehouse, tmp_path, specs):
    result = invoke(["train", "nope"], warehouse, tmp_path, specs)
    assert result.exit_code == 2
    assert "unknown model 'nope'" in result.output and "tiny" in result.output


def test_missing_relation_tells_to_run_dbt(warehouse, tmp_path, specs):
    write_spec(specs, name="ghost", source="main_marts.not_built_yet")
    result = invoke(["train", "ghost"], warehouse, tmp_path, specs)
    assert result.exit_code == 3
    assert "does not exist" in result.output and "dbt build" in result.output


def test_missing_columns_are_named(warehouse, tmp_path, specs):
    write_spec(specs, name="holes", features={"numeric": ["recency_days", "shoe_size", "iq"]})
    result = invoke(["train", "holes"], warehouse, tmp_path, specs)
    assert result.exit_code == 4
    assert "lacks columns: shoe_size, iq" in result.output


def test_contract_drift_is_named(warehouse, tmp_path, specs):
    target = tmp_path / "target"
    target.mkdir()
    manifest = warehouse.artifact("manifest.json")
    node = manifest["nodes"]["model.loyalty.ml_member_features"]
    node["columns"]["recency_days"]["data_type"] = "string"
    (target / "manifest.json").write_text(json.dumps(manifest))
    result = invoke(["train", "tiny"], warehouse, tmp_path, specs, target=target)
    assert result.exit_code == 4
    assert "recency_days is integer, contract says string" in result.output


def test_empty_training_set(warehouse, tmp_path, specs):
    csv = tmp_path / "empty_target.csv"
    csv.write_text("member_id;cutoff_date;x;y\n1;2024-01-01;1,5;\n2;2024-02-01;2,5;\n")
    loaded = invoke(
        ["load-csv", str(csv), "--table", "scratch.empty_target"], warehouse, tmp_path, specs
    )
    assert loaded.exit_code == 0, loaded.output
    write_spec(
        specs, name="empty", source="scratch.empty_target", target="y", features={"numeric": ["x"]}
    )
    result = invoke(["train", "empty"], warehouse, tmp_path, specs)
    assert result.exit_code == 4
    assert "empty training set" in result.output


def test_trains_on_a_csv_with_semicolons_and_decimal_commas(warehouse, tmp_path, specs):
    rows = ["store;week;visits;revenue"]
    for week in range(12):
        for store in range(1, 31):
            visits = 100 + 7 * store + 3 * week
            rows.append(
                f"{store};2025-{1 + week // 4:02d}-{1 + 7 * (week % 4):02d};"
                f"{visits};{visits * 12.5 + store:.2f}".replace(".", ",")
            )
    csv = tmp_path / "lojas.csv"
    csv.write_text("\n".join(rows) + "\n")
    loaded = invoke(["load-csv", str(csv), "--table", "scratch.lojas"], warehouse, tmp_path, specs)
    assert loaded.exit_code == 0 and "Loaded 360 rows" in loaded.output
    write_spec(
        specs,
        name="revenue",
        source="scratch.lojas",
        id_columns=["store"],
        time_column="week",
        target="revenue",
        features={"numeric": ["visits"]},
        split={"test_periods": 2, "gap_periods": 0, "cv_folds": 2},
        candidates=[{"name": "ols", "estimator": "sklearn.linear_model.LinearRegression"}],
    )
    result = invoke(["train", "revenue"], warehouse, tmp_path, specs)
    assert result.exit_code == 0, result.output
    assert "r2" in result.output


def test_spec_check_reads_the_windows_and_refuses_a_non_binary_target(warehouse, tmp_path, specs):
    checked = invoke(["spec", "check", "tiny"], warehouse, tmp_path, specs)
    assert checked.exit_code == 0, checked.output
    said = " ".join(checked.stdout.split())
    assert "tiny: ready to train" in said and "3 periods" in said and "2 settings x 2 folds" in said

    lr = [{"name": "lr", "estimator": "sklearn.linear_model.LogisticRegression"}]
    write_spec(
        specs, name="counts", task="classification", candidates=lr, selection_metric="roc_auc"
    )
    for command in (["spec", "check", "counts"], ["train", "counts"]):  # the same line, exit 2
        refused = invoke(command, warehouse, tmp_path, specs)
        assert refused.exit_code == 2, refused.output
        assert refused.stderr.startswith("error: target 'points_next_90d' is not binary 0/1")
        assert len(refused.stderr.strip().splitlines()) == 1


def test_locked_warehouse(warehouse, tmp_path, specs):
    copy = tmp_path / "locked.duckdb"
    shutil.copy(warehouse.path, copy)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(copy)!r}); print('ready', flush=True); "
            "time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = runner.invoke(
            app,
            ["--warehouse", str(copy), "--target-dir", str(warehouse.target), "train", "tiny"],
            env={"LOYALTY_SPECS": str(specs)},
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 3
    assert "locked by another process" in result.output


def test_missing_warehouse_file(warehouse, tmp_path, specs):
    result = runner.invoke(
        app,
        [
            "--warehouse",
            str(tmp_path / "none.duckdb"),
            "--target-dir",
            str(warehouse.target),
            "train",
            "tiny",
        ],
        env={"LOYALTY_SPECS": str(specs)},
    )
    assert result.exit_code == 3
    assert "run `make run`" in result.output


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        ("flip_a_byte", "was modified after it was registered (checksum mismatch)"),
        ("swap_in_a_pickle", "is not a readable skops file"),
        ("delete_the_file", "model.skops is missing from its artifacts"),
    ],
)
def test_a_tampered_or_incomplete_artifact_is_refused(warehouse, tmp_path, specs, tamper, said):
    assert invoke(["train", "tiny"], warehouse, tmp_path, specs).exit_code == 0
    model_file = next((tmp_path / "mlflow" / "artifacts").glob("*/*/artifacts/model/model.skops"))
    if tamper == "flip_a_byte":
        data = bytearray(model_file.read_bytes())
        data[len(data) // 2] ^= 0xFF
        model_file.write_bytes(bytes(data))
    elif tamper == "swap_in_a_pickle":
        model_file.write_bytes(pickle.dumps({"model": "anything"}))
        # whoever swapped it could write the store too: the recorded checksum follows
        registry = Registry(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
        registry.client.set_model_version_tag("tiny", "1", "model_sha256", sha256(model_file))
    else:
        model_file.unlink()
    result = invoke(["score", "tiny"], warehouse, tmp_path, specs)
    assert result.exit_code == 5
    assert said in " ".join(result.output.split())
    assert len(result.stderr.strip().splitlines()) == 1  # one line on stderr, never wrapped


def test_unknown_version(warehouse, tmp_path, specs):
    assert invoke(["train", "tiny"], warehouse, tmp_path, specs).exit_code == 0
    result = invoke(["score", "tiny", "--version", "v42"], warehouse, tmp_path, specs)
    assert result.exit_code == 2  # a name that does not exist: usage, as for an unknown spec
    assert "'v42'" in result.output and "versions: 1 (champion)" in result.output
    for command in (["models", "show", "nope"], ["score", "nope"], ["evaluate", "nope"]):
        unknown = invoke(command, warehouse, tmp_path, specs)
        assert unknown.exit_code == 2, (command, unknown.output)
