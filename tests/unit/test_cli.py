from typer.testing import CliRunner

from ml.cli import app

runner = CliRunner()


def test_datagen_writes_seeds_and_manifest(tmp_path):
    result = runner.invoke(
        app,
        [
            "datagen",
            "--members",
            "40",
            "--months",
            "5",
            "--out-seeds",
            str(tmp_path / "s"),
            "--out-meta",
            str(tmp_path / "m"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s" / "raw_members.csv").exists()
    assert (tmp_path / "m" / "manifest.json").exists()
    assert "transactions" in result.output


def test_datagen_rejects_a_bad_start_date_without_a_traceback(tmp_path):
    result = runner.invoke(app, ["datagen", "--start", "01/01/2024", "--out-seeds", str(tmp_path)])
    assert result.exit_code == 2
    assert "ISO date" in result.output
    assert "Traceback" not in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert "ml " in result.output


def test_datagen_append_needs_a_lake_and_its_manifest(tmp_path):
    result = runner.invoke(app, ["datagen", "--append-days", "1"])
    assert result.exit_code == 2 and "--append-days needs --out-lake" in result.output
    args = ["--out-lake", str(tmp_path / "lake"), "--out-meta", str(tmp_path / "meta")]
    result = runner.invoke(app, ["datagen", "--append-days", "1", *args])
    assert result.exit_code == 2 and "no manifest" in result.output
    assert "Traceback" not in result.output


def test_the_help_says_where_things_are_read_from_and_what_exit_codes_mean():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    said = " ".join(result.output.split())
    assert result.exit_code == 0
    assert "$LOYALTY_SPECS" in said and "$MLFLOW_TRACKING_URI" in said
    assert "2 usage or spec" in said and "6 promotion refused" in said
