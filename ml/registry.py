"""File-system model registry: every training run becomes an immutable version directory,
so a score can always be traced back to the exact model file, spec, data and code that made it.

Layout: ``<registry_dir>/<model_name>/v0001/`` holding ``model.skops``, ``metadata.json``,
``metrics.json``, ``spec.json`` and, written last, ``COMPLETE``. A directory without the marker
is a crashed or running save and is invisible to every reader.

Models are stored with skops, never pickle: loading checks the file against the checksum taken
at save time, then refuses any type outside ``TRUSTED_TYPE_PREFIXES`` before skops builds it.

A registry is a folder anyone with write access can edit, so nothing in ``metadata.json`` is
trusted either: ``model_file`` must name a file inside its own version folder, the fields
readers need must be there, and one broken version is reported as broken (``problem``)
without hiding or failing the others.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import json
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import skops.io as sio

from ml.config import Settings
from ml.errors import ArtifactError, SpecError

MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
METRICS_FILE = "metrics.json"
SPEC_FILE = "spec.json"
COMPLETE_MARKER = "COMPLETE"

# What skops may build beyond its own defaults. An entry ending in "." trusts classes defined
# in that package; any other entry is one exact type. skops 0.16 reports exactly these for our
# pipelines: numpy.dtype (ColumnTransformer/encoders), sklearn.tree._tree.Tree (random forests)
# and sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor (HistGradientBoosting*).
TRUSTED_TYPE_PREFIXES: tuple[str, ...] = ("sklearn.", "scipy.sparse.", "numpy.dtype")

# Fields the registry owns; a caller passing them would be silently overwritten, so it's a bug.
_REGISTRY_FIELDS = (
    "model_name",
    "version",
    "created_at",
    "model_file",
    "model_sha256",
    "library_versions",
    "git_commit",
)
_REQUIRED_LIBRARIES = ("scikit-learn", "skops", "numpy", "pandas", "scipy")
_OPTIONAL_LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb")
_VERSION_RE = re.compile(r"^v(\d{4,})$")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MAX_RACE_RETRIES = 100
# What every reader of a version needs from its metadata.json.
_REQUIRED_METADATA = ("created_at", "model_file", "model_sha256", "metrics")


@dataclass(frozen=True)
class ModelVersion:
    model_name: str
    version: str
    path: Path
    metadata: dict[str, Any]
    # Why the version cannot be used (unreadable or incomplete metadata, model file outside
    # its folder, missing or changed since it was saved), or None for a healthy version.
    problem: str | None = None

    @property
    def metrics(self) -> dict[str, Any]:
        return self.metadata.get("metrics") or {}

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.metadata["created_at"])

    @property
    def model_path(self) -> Path:
        """Confined to the version folder: a metadata.json saying `../../outside.skops` (or
        an absolute path, or a symlink leading out) is refused, not followed."""
        name = str(self.metadata.get("model_file", MODEL_FILE))
        path = self.path / name
        if (
            Path(name).name != name
            or name in ("", ".", "..")
            or path.resolve().parent != self.path.resolve()
        ):
            raise ArtifactError(
                f"{self.path / METADATA_FILE}: model_file {name!r} is not a file of its own "
                "version folder; refusing to read it"
            )
        return path

    def usable(self) -> ModelVersion:
        """Itself, or an ArtifactError saying what is wrong with it."""
        if self.problem:
            raise ArtifactError(f"{self.model_name} {self.version} is broken: {self.problem}")
        return self


def save_version(
    registry_dir: Path,
    model_name: str,
    model: Any,
    metadata: dict[str, Any],
    *,
    project_dir: Path | None = None,
) -> ModelVersion:
    """Store a fitted model as the next version. ``project_dir`` is where the git commit is read
    (default: the configured project), so runs record the code they were trained with."""
    if not _NAME_RE.match(model_name):
        raise SpecError(
            f"model name {model_name!r} cannot be a registry folder: "
            "use letters, digits, '_', '-' or '.'"
        )
    clashes = sorted(set(metadata) & set(_REGISTRY_FIELDS))
    if clashes:
        raise ValueError(f"metadata keys {clashes} are set by the registry itself")
    # Fail on unserialisable metadata before a version number is taken.
    _to_json(metadata)

    path = _create_version_dir(Path(registry_dir) / model_name)
    try:
        sio.dump(model, path / MODEL_FILE)
        full = {
            **metadata,
            "model_name": model_name,
            "version": path.name,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "model_file": MODEL_FILE,
            "model_sha256": _sha256(path / MODEL_FILE),
            "library_versions": library_versions(),
            "git_commit": git_commit(project_dir or Settings().project_dir),
        }
        (path / METADATA_FILE).write_text(_to_json(full))
        (path / METRICS_FILE).write_text(_to_json(metadata.get("metrics") or {}))
        (path / SPEC_FILE).write_text(_to_json(metadata.get("spec") or {}))
        for written in path.iterdir():  # owner-only, whatever the caller's umask
            written.chmod(0o600)
        (path / COMPLETE_MARKER).write_text(full["model_sha256"] + "\n")
        (path / COMPLETE_MARKER).chmod(0o600)
    except BaseException:
        # A half-written version would never be read, but it would confuse whoever looks.
        shutil.rmtree(path, ignore_errors=True)
        raise
    return ModelVersion(model_name, path.name, path, json.loads(_to_json(full)))


def list_models(registry_dir: Path) -> list[str]:
    """Models with at least one complete version; folders of crashed first runs do not count."""
    root = Path(registry_dir)
    if not root.is_dir():
        return []
    return sorted(
        p.name
        for p in root.iterdir()
        if p.is_dir() and _NAME_RE.match(p.name) and _complete_version_dirs(p)
    )


def list_versions(
    registry_dir: Path, model_name: str, check_files: bool = False
) -> list[ModelVersion]:
    """Complete versions of one model, oldest first, each checked (metadata and model file
    confinement; with `check_files`, the file's existence and checksum too, which reads every
    version's file): a broken one carries its `problem` instead of raising."""
    if not _NAME_RE.match(model_name):
        return []
    model_dir = Path(registry_dir) / model_name
    return [_read_version(model_name, p, check_files) for p in _complete_version_dirs(model_dir)]


def version_problem(version: ModelVersion, check_file: bool = True) -> str | None:
    """What makes a version unusable, checked without building the model."""
    missing = [key for key in _REQUIRED_METADATA if key not in version.metadata]
    if missing:
        return f"{METADATA_FILE} lacks {', '.join(missing)}"
    if not isinstance(version.metadata["metrics"], dict):
        return f"{METADATA_FILE}: metrics is not a mapping"
    try:
        path = version.model_path
    except ArtifactError as err:
        return str(err)
    if not check_file:
        return None
    if not path.is_file():
        return f"model file {path} is missing"
    if _sha256(path) != version.metadata["model_sha256"]:
        return f"model file {path} was modified after it was saved (checksum mismatch)"
    return None


def get_version(registry_dir: Path, model_name: str, version: str | None = None) -> ModelVersion:
    """One version by name ("v0003", "3" or "latest"/None for the newest complete one), with an
    error that lists what does exist so the user can fix the command line."""
    registry_dir = Path(registry_dir)
    versions = list_versions(registry_dir, model_name)
    if not versions:
        models = list_models(registry_dir)
        known = ", ".join(models) if models else "none"
        raise ArtifactError(f"no model {model_name!r} in registry {registry_dir} (models: {known})")
    if version is None or version == "latest":
        # the newest, even when broken: falling back to an older one would be silent
        return _with_file_checked(versions[-1]).usable()
    wanted = _normalise_version(version)
    for v in versions:
        if v.version == wanted:
            return _with_file_checked(v).usable()
    raise ArtifactError(
        f"model {model_name!r} has no version {version!r} "
        f"(versions: {', '.join(v.version for v in versions)})"
    )


def load_model(version: ModelVersion) -> Any:
    """Rebuild the model, refusing files changed since they were saved or holding types that
    could run code on load. Never falls back to pickle."""
    path = version.usable().model_path
    if not path.is_file():
        raise ArtifactError(f"model file {path} is missing")
    expected = version.metadata.get("model_sha256")
    if not expected or _sha256(path) != expected:
        raise ArtifactError(
            f"model file {path} was modified after it was saved (checksum mismatch); "
            "refusing to load it, retrain or restore the file"
        )
    try:
        found = sio.get_untrusted_types(file=path)
    except Exception as err:  # a corrupt zip or header: name the file, not skops internals
        raise ArtifactError(f"model file {path} is not a readable skops file: {err}") from err
    refused = [name for name in found if not is_trusted_type(name)]
    if refused:
        raise ArtifactError(
            f"model file {path} holds untrusted types {', '.join(refused)}; refusing to load it"
        )
    return sio.load(path, trusted=list(found))


def is_trusted_type(type_name: str) -> bool:
    """Whether skops may build ``type_name``. The name is resolved and must be a class really
    defined in the trusted package: a re-exported function (say ``os.system`` imported into
    some sklearn module) would pass a pure name check but gets called by skops' reduce loader."""
    module_name, _, attr = type_name.rpartition(".")
    if not module_name:
        return False
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


def _create_version_dir(model_dir: Path) -> Path:
    """Take the next free number; ``exist_ok=False`` makes two concurrent runs pick different
    numbers instead of writing into the same folder."""
    model_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    number = max((_version_number(p) for p in model_dir.iterdir()), default=0) + 1
    for _ in range(_MAX_RACE_RETRIES):
        path = model_dir / f"v{number:04d}"
        try:
            path.mkdir(mode=0o700, exist_ok=False)
        except FileExistsError:
            number += 1
            continue
        return path
    raise ArtifactError(f"could not allocate a new version under {model_dir}")


def _complete_version_dirs(model_dir: Path) -> list[Path]:
    if not model_dir.is_dir():
        return []
    dirs = [
        p
        for p in model_dir.iterdir()
        if p.is_dir() and _version_number(p) and (p / COMPLETE_MARKER).is_file()
    ]
    return sorted(dirs, key=_version_number)


def _with_file_checked(version: ModelVersion) -> ModelVersion:
    """The chosen version with its file checked too (only its own file is read)."""
    if version.problem:
        return version
    return replace(version, problem=version_problem(version, check_file=True))


def _read_version(model_name: str, path: Path, check_file: bool) -> ModelVersion:
    try:
        metadata = json.loads((path / METADATA_FILE).read_text())
    except (OSError, ValueError) as err:
        return ModelVersion(model_name, path.name, path, {}, f"cannot read {METADATA_FILE}: {err}")
    if not isinstance(metadata, dict):
        return ModelVersion(model_name, path.name, path, {}, f"{METADATA_FILE} is not an object")
    version = ModelVersion(model_name, path.name, path, metadata)
    return replace(version, problem=version_problem(version, check_file))


def _version_number(path: Path) -> int:
    match = _VERSION_RE.match(path.name)
    return int(match.group(1)) if match else 0


def _normalise_version(version: str) -> str:
    digits = version[1:] if version[:1] in ("v", "V") else version
    return f"v{int(digits):04d}" if digits.isdigit() else version


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _to_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    """Metrics straight from sklearn are numpy scalars; accept them rather than make every
    caller convert."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"metadata value {value!r} of type {type(value).__name__} is not JSON")
