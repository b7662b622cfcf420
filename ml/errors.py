"""Errors a user can act on. The CLI prints them as one line and exits with their code;
anything else is a bug and keeps its traceback."""

from __future__ import annotations


class MlError(Exception):
    """Base class: message for the user, exit code for scripts."""

    exit_code = 1


class SpecError(MlError):
    """Unknown model, or a spec file that does not make sense."""

    exit_code = 2


class WarehouseError(MlError):
    """The warehouse cannot be read or written (missing relation, locked file, ...)."""

    exit_code = 3


class DataError(MlError):
    """The data does not fit the spec: missing columns, wrong types, empty training set."""

    exit_code = 4


class ArtifactError(MlError):
    """A registry artifact is missing, tampered with or holds untrusted types."""

    exit_code = 5


class PromotionRefused(MlError):
    """A challenger that does not beat the champion on the same test period; carries the
    comparison (ml.promotion.Comparison) so the CLI can show both numbers."""

    exit_code = 6

    def __init__(self, message: str, comparison=None):
        super().__init__(message)
        self.comparison = comparison
