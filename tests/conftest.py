"""Shared pytest fixtures: paths of the project and of its committed generated data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def manifest() -> dict:
    """What the generator says it wrote into the committed seeds."""
    return json.loads((ROOT / "data" / "datagen" / "manifest.json").read_text())
