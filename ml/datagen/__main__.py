"""`python -m ml.datagen [OPTIONS]`: the same command as `ml datagen`."""

import typer

from ml.cli_datagen import datagen

if __name__ == "__main__":
    typer.run(datagen)
