"""`python -m loyalty_datagen [OPTIONS]`: the same command as `loyalty-datagen`, `ml datagen`."""

from loyalty_datagen.cli import app

if __name__ == "__main__":
    app()
