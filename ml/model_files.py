"""Model files: skops, never pickle. MLflow's scikit-learn flavour pickles (cloudpickle) and
loading a pickle runs whatever code it names; a skops file is a zip of JSON and arrays whose
types can be checked before anything is built.

A file is trusted only if its SHA-256 is the one recorded when it was registered, and it is
built only if every type it names is a class defined in scikit-learn, SciPy's sparse package,
numpy's dtype or SciPy's BSpline (a spline transform), or one function listed by exact name: a
re-exported function (say `os.system` imported into some sklearn module) would pass a check on
names alone.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import platform
import re
import subprocess
from pathlib import Path
from typing import Any

import skops.io as sio

from ml.errors import ArtifactError

# What skops may build beyond its own defaults. An entry ending in "." trusts classes defined
# in that package; any other entry is one exact type. skops 0.16 reports exactly these for our
# pipelines: numpy.dtype (ColumnTransformer/encoders), sklearn.tree._tree.Tree (random forests)
# and sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor (HistGradientBoosting*).
TRUSTED_TYPE_PREFIXES: tuple[str, ...] = (
    "sklearn.",
    "scipy.sparse.",
    "numpy.dtype",
    # SplineTransformer (a declared `spline`, ml/transforms.py) keeps one B-spline per feature
    "scipy.interpolate._bsplines.BSpline",
)
# Functions skops may reference (not call on load) beyond its defaults, by exact name: the
# array-API alias a BSpline keeps as its array constructor.
TRUSTED_FUNCTIONS = frozenset({"scipy._lib.array_api_compat.numpy._aliases.asarray"})

_REQUIRED_LIBRARIES = ("scikit-learn", "skops", "numpy", "pandas", "scipy", "mlflow")
_OPTIONAL_LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb")


def dump(model: Any, path: Path) -> str:
    """Write the model; its SHA-256, which the registry records beside it."""
    sio.dump(model, path)
    return sha256(path)


def load(path: Path, expected_sha256: str | None) -> Any:
    """Rebuild the model, refusing a file changed since it was registered or holding types
    that could run code on load. Never falls back to pickle."""
    if not path.is_file():
        raise ArtifactError(f"model file {path.name} is missing from the version's artifacts")
    if not expected_sha256 or sha256(path) != expected_sha256:
        raise ArtifactError(
            f"model file {path.name} was modified after it was registered (checksum "
            "mismatch); refusing to load it: retrain, or restore the file"
        )
    try:
        found = sio.get_untrusted_types(file=path)
    except Exception as err:  # a pickle, a corrupt zip or header: say so, not skops internals
        raise ArtifactError(f"model file {path.name} is not a readable skops file: {err}") from err
    refused = [name for name in found if not is_trusted_type(name)]
    if refused:
        raise ArtifactError(
            f"model file {path.name} holds untrusted types {', '.join(refused)}; "
            "refusing to load it"
        )
    return sio.load(path, trusted=list(found))


def is_trusted_type(type_name: str) -> bool:
    """Whether skops may build ``type_name``: it must resolve to a class really defined in a
    trusted package (skops' reduce loader calls what it builds)."""
    module_name, _, attr = type_name.rpartition(".")
    if not module_name:
        return False
    if type_name in TRUSTED_FUNCTIONS:
        obj = getattr(importlib.import_module(module_name), attr, None)
        return callable(obj) and f"{obj.__module__}.{obj.__qualname__}" == type_name
    for prefix in TRUSTED_TYPE_PREFIXES:
        package = prefix.endswith(".")
        if (package and type_name.startswith(prefix)) or type_name == prefix:
            break
    else:
        return False
    try:
        obj = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        return False
    if not isinstance(obj, type):
        return False
    defined_in = f"{obj.__module__}.{obj.__qualname__}"
    return defined_in.startswith(prefix) if package else defined_in == type_name


def sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def library_versions() -> dict[str, str | None]:
    """Versions that decide whether a model file loads and predicts the same way again."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for dist in _REQUIRED_LIBRARIES + _OPTIONAL_LIBRARIES:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            if dist in _REQUIRED_LIBRARIES:
                versions[dist] = None
    return versions


def git_commit(project_dir: Path) -> str | None:
    """The checked-out commit, or None: lineage is best effort and must never stop a save."""
    try:
        result = subprocess.run(
            ["git", "-C", str(project_dir), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = result.stdout.strip()
    return commit if result.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", commit) else None
