"""The model registry is MLflow's tracking store and model registry: every `ml train` is a run
in the experiment named after the model, every trained model a registered version, and the
version that scores is the one with the `champion` alias. Data scientists compare runs and
promote versions in the tool they already use (`make mlflow-ui`).

What MLflow does not do lives here. MLflow's scikit-learn flavour pickles the model, so a
version's artifact folder holds `model.skops` and `metadata.json` instead (ml/model_files.py),
the file's SHA-256 is a tag of the version, and every load checks the file against it. Nothing
in an artifact folder is trusted: a version whose folder lacks a file, or whose file changed,
carries its `problem` and is refused without hiding the others.

The embedded default is a SQLite store with an artifact folder beside it, under `.mlflow/`
(git-ignored); `MLFLOW_TRACKING_URI` points at a team's tracking server instead.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np

from ml import model_files
from ml.errors import ArtifactError, SpecError

MODEL_DIR = "model"  # the run's artifact folder a registered version points at
MODEL_FILE = "model.skops"
METADATA_FILE = "metadata.json"
CHAMPION = "champion"
SHA_TAG = "model_sha256"
# What every reader of a version needs from its metadata.json.
_REQUIRED_METADATA = ("created_at", "metrics", "spec", "split")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class ModelVersion:
    model_name: str
    version: str  # MLflow's version number, "3"
    run_id: str | None
    source: str  # artifact URI of the version's model folder
    metadata: dict[str, Any]
    tags: Mapping[str, str]
    aliases: tuple[str, ...] = ()
    # Why the version cannot be used (a file missing from its artifacts, the model file changed
    # since it was registered, unreadable metadata), or None for a healthy version.
    problem: str | None = None

    @property
    def label(self) -> str:
        return f"v{self.version}"

    @property
    def metrics(self) -> dict[str, Any]:
        return self.metadata.get("metrics") or {}

    @property
    def is_champion(self) -> bool:
        return CHAMPION in self.aliases

    def usable(self) -> ModelVersion:
        """Itself, or an ArtifactError saying what is wrong with it."""
        if self.problem:
            raise ArtifactError(f"{self.model_name} {self.label} is broken: {self.problem}")
        return self


class Registry:
    """One MLflow store (tracking + registry) through one quiet client."""

    def __init__(self, tracking_uri: str):
        self.tracking_uri = tracking_uri
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        if self.local_folder:
            self.local_folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        from mlflow import MlflowClient

        # MLflow's and alembic's INFO lines (a new store's migrations) would bury the CLI's
        # own output; MLflow sets its logger's level when imported, so after the import
        for name in ("mlflow", "alembic"):
            logging.getLogger(name).setLevel(logging.WARNING)

        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
        if self.local_folder:
            self.client.search_experiments(max_results=1)  # creates and migrates the store
            for path in (self.local_folder / "mlflow.db", self.local_folder / "artifacts"):
                if path.exists():
                    path.chmod(0o700 if path.is_dir() else 0o600)

    @property
    def local_folder(self) -> Path | None:
        """The folder of an embedded SQLite store; its artifacts live beside it."""
        if self.tracking_uri.startswith("sqlite:///"):
            return Path(self.tracking_uri.removeprefix("sqlite:///")).parent
        return None

    def experiment_id(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = (self.local_folder / "artifacts" / name).as_uri() if self.local_folder else None
        # the UI shows a classic model's runs (metrics, params, plots), not a GenAI app's traces
        kind = {"mlflow.experimentKind": "custom_model_development"}
        return self.client.create_experiment(name, artifact_location=location, tags=kind)

    # -- writing ------------------------------------------------------------------------------

    def save_version(
        self,
        model_name: str,
        model: Any,
        metadata: dict[str, Any],
        *,
        params: Mapping[str, Any],
        metrics: Mapping[str, float],
        tags: Mapping[str, str],
        report_dir: Path | None = None,
    ) -> ModelVersion:
        """One run (params, metrics, tags, the model folder and the report's files as
        artifacts) and one registered version pointing at its model folder. A crash leaves a
        FAILED run and no version: readers only see versions whose artifacts were written."""
        if not _NAME.fullmatch(model_name):
            raise SpecError(f"model name {model_name!r}: use letters, digits, '_', '-' or '.'")
        from mlflow.entities import Metric, Param, RunTag

        body = _to_json({**metadata, "created_at": _now()})  # unserialisable: fail before a run
        experiment = self.experiment_id(model_name)
        run = self.client.create_run(experiment, run_name=f"{model_name} {_now()}", tags=tags)
        run_id = run.info.run_id
        try:
            with tempfile.TemporaryDirectory() as tmp:
                folder = Path(tmp) / MODEL_DIR
                folder.mkdir()
                sha = model_files.dump(model, folder / MODEL_FILE)
                (folder / METADATA_FILE).write_text(body)
                self.client.log_artifacts(run_id, str(folder), MODEL_DIR)
            if report_dir is not None:
                self.client.log_artifacts(run_id, str(report_dir), "report")
            if (local := _local_path(run.info.artifact_uri)) is not None:
                _owner_only(local.parent)  # this run's files; then its experiment's folders
                for folder in local.parents[1:3]:
                    folder.chmod(0o700)
            stamp = int(datetime.now(UTC).timestamp() * 1000)
            self.client.log_batch(
                run_id,
                metrics=[Metric(_key(k), float(v), stamp, 0) for k, v in metrics.items()],
                params=[Param(_key(k), _param(v)) for k, v in params.items()],
                tags=[RunTag(SHA_TAG, sha)],
            )
            if not self.client.search_registered_models(f"name = '{model_name}'"):
                self.client.create_registered_model(model_name, description=tags.get("spec"))
            created = self.client.create_model_version(
                model_name,
                f"{run.info.artifact_uri}/{MODEL_DIR}",
                run_id,
                tags={SHA_TAG: sha, **{k: v for k, v in tags.items() if k != "spec"}},
                description=metadata.get("description"),
            )
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")
        return self.get_version(model_name, str(created.version))

    def set_alias(self, version: ModelVersion, alias: str, tags: Mapping[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_model_version_tag(version.model_name, version.version, key, value)
        self.client.set_registered_model_alias(version.model_name, alias, version.version)

    # -- reading ------------------------------------------------------------------------------

    def list_models(self) -> list[str]:
        return sorted(m.name for m in self.client.search_registered_models())

    def list_versions(self, model_name: str, check_files: bool = False) -> list[ModelVersion]:
        """Every version, oldest first, each checked (its metadata; with `check_files`, the
        model file's checksum too): a broken one carries its `problem` instead of raising."""
        if not _NAME.fullmatch(model_name):
            return []
        found = self.client.search_model_versions(f"name = '{model_name}'")
        aliases = self._aliases(model_name) if found else {}
        return [
            self._read(v, aliases.get(str(v.version), ()), check_files)
            for v in sorted(found, key=lambda v: int(v.version))
        ]

    def get_version(self, model_name: str, version: str | None = None) -> ModelVersion:
        """One version by number ("3", "v3"), alias ("champion") or "latest"; None is the
        champion. The error lists what exists, so the command line can be fixed: a name that
        does not exist is a usage error (exit 2) whatever the command, a broken one exit 5."""
        versions = self.list_versions(model_name)
        if not versions:
            known = ", ".join(self.list_models()) or "none"
            raise SpecError(
                f"no model {model_name!r} in the registry {self.tracking_uri} "
                f"(models: {known}): run `ml train {model_name}` first"
            )
        wanted = CHAMPION if version is None else version.lower().removeprefix("v")
        if wanted == "latest":
            chosen = versions[-1]  # the newest, even when broken: falling back would be silent
        else:
            matches = [v for v in versions if wanted in (v.version, *v.aliases)]
            if not matches:
                raise SpecError(
                    f"model {model_name!r} has no version or alias {version or CHAMPION!r} "
                    f"(versions: {', '.join(_described(v) for v in versions)})"
                )
            chosen = matches[0]
        return self._with_file_checked(chosen).usable()

    def load_model(self, version: ModelVersion) -> Any:
        with self._download(version.usable()) as folder:
            return model_files.load(folder / MODEL_FILE, version.tags.get(SHA_TAG))

    # -- internals ----------------------------------------------------------------------------

    def _aliases(self, model_name: str) -> dict[str, tuple[str, ...]]:
        out: dict[str, tuple[str, ...]] = {}
        for alias, number in self.client.get_registered_model(model_name).aliases.items():
            out[str(number)] = (*out.get(str(number), ()), alias)
        return out

    @contextmanager
    def _download(self, version: ModelVersion) -> Iterator[Path]:
        """The version's model folder as local files (a local store's is read in place)."""
        local = _local_path(version.source)
        if local is not None:
            yield local
            return
        from mlflow.artifacts import download_artifacts

        with tempfile.TemporaryDirectory() as tmp:
            try:
                path = download_artifacts(
                    artifact_uri=version.source, dst_path=tmp, tracking_uri=self.tracking_uri
                )
            except Exception as err:  # the store's own error types vary by backend
                raise ArtifactError(f"cannot read {version.source}: {err}") from None
            yield Path(path)

    def _read(self, raw, aliases: tuple[str, ...], check_file: bool) -> ModelVersion:
        version = ModelVersion(
            raw.name, str(raw.version), raw.run_id, raw.source, {}, dict(raw.tags), aliases
        )
        try:
            with self._download(version) as folder:
                metadata = json.loads((folder / METADATA_FILE).read_text())
        except (OSError, ValueError, ArtifactError) as err:
            return replace(version, problem=f"cannot read its {METADATA_FILE}: {err}")
        if not isinstance(metadata, dict):
            return replace(version, problem=f"{METADATA_FILE} is not an object")
        version = replace(version, metadata=metadata)
        missing = [key for key in _REQUIRED_METADATA if key not in metadata]
        if missing:
            return replace(version, problem=f"{METADATA_FILE} lacks {', '.join(missing)}")
        if SHA_TAG not in version.tags:
            return replace(version, problem=f"the version has no {SHA_TAG} tag")
        return self._with_file_checked(version) if check_file else version

    def _with_file_checked(self, version: ModelVersion) -> ModelVersion:
        if version.problem:
            return version
        with self._download(version) as folder:
            path = folder / MODEL_FILE
            if not path.is_file():
                problem = f"{MODEL_FILE} is missing from its artifacts ({version.source})"
            elif model_files.sha256(path) != version.tags.get(SHA_TAG):
                problem = f"{MODEL_FILE} was modified after it was registered (checksum mismatch)"
            else:
                problem = None
        return replace(version, problem=problem)


def _owner_only(root: Path) -> None:
    """Models carry training-data fingerprints and their plots member-level data: the embedded
    store is the owner's, whatever the caller's umask (the CLI's is 077 already). A new store
    and each run's files are set when written, so nothing walks the whole store."""
    root.chmod(0o700)
    for path in root.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _described(version: ModelVersion) -> str:
    return version.version + (f" ({', '.join(version.aliases)})" if version.aliases else "")


def _local_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    if parsed.scheme == "file" or (parsed.scheme == "" and uri.startswith("/")):
        return Path(unquote(parsed.path))
    return None


def _key(name: str) -> str:
    """A metric or param name MLflow accepts everywhere (no ':' on Windows stores)."""
    return re.sub(r"[^/\w.\- ]", "_", name)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=_json_default)
    return text[:6000]  # MLflow's limit for a param value


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


def flat(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Nested metrics as MLflow's flat names: {"test": {"roc_auc": .9}} -> test.roc_auc."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping):
            out.update(flat(name, value))
        else:
            out[name] = value
    return out
