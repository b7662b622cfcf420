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


def _commands(group, ctx, path=()):
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*path, name), command
        if hasattr(command, "list_commands"):
            yield from _commands(command, ctx, (*path, name))


def test_help_shows_no_type_for_a_flag_and_a_type_for_a_value():
    import click
    import typer

    root = typer.main.get_command(app)
    with click.Context(root) as ctx:
        paths = [p for p, _ in _commands(root, ctx)]
    assert ("spec", "check") in paths and ("models", "list") in paths
    for path in [(), *paths]:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, path
        assert "<bool>" not in result.output, path
    load = runner.invoke(app, ["load-csv", "--help"], env={"COLUMNS": "200"}).output
    assert "--sep" in load and "<str>" in load


def test_shell_completion_offers_commands_and_spec_names(tmp_path):
    """Through the installed `ml` script, as the shell calls it."""
    import subprocess
    import sys
    from pathlib import Path

    ml = str(Path(sys.executable).with_name("ml"))
    (tmp_path / "vendas.yml").write_text("name: vendas\n")
    # typer names the shell it is called from (under make: sh, which it does not support);
    # the second command keeps bash from exec'ing ml, so bash is its parent
    command = f"{ml} --show-completion; exit $?"
    shown = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
    assert shown.returncode == 0 and "_ML_COMPLETE=complete_bash" in shown.stdout
    env = {"PATH": "", "_ML_COMPLETE": "complete_bash", "LOYALTY_SPECS": str(tmp_path)}
    for words, expected in [("ml mo", {"models", "monitor"}), ("ml train ve", {"vendas"})]:
        cword = str(len(words.split()) - 1)
        completed = subprocess.run(
            [ml],
            env={**env, "COMP_WORDS": words, "COMP_CWORD": cword},
            capture_output=True,
            text=True,
        )
        assert set(completed.stdout.split()) == expected, completed.stdout + completed.stderr
