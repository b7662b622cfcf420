"""Loyalty ML: the Python side of the loyalty data platform (data generator, and later models)."""

__version__ = "0.1.0"
