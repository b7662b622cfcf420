"""Dates as people write them in the files they hand over: ISO, dd/mm/yyyy, mm/yyyy and pt-BR
month labels (jan/04, jan/2004, janeiro de 2004). The rules are data in dbt_project.yml
(`date_formats`, `ptbr_months`), read here and by the dbt macro `parse_date_ptbr`, so a file
loaded by `ml load-csv` and an extract read by dbt mean the same day by the same text.

A column is read as dates only when every value fits one format; otherwise it is refused
with the column and a value named, never half converted. `01/10/2024` alone could be the 1st of
October or the 10th of January: a column whose every value reads both ways is refused until
its format is declared, instead of being guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

import yaml

from ml.config import PROJECT_ROOT
from ml.errors import DataError, SpecError

# The project-wide convention: a Brazilian writes the day first
DAY_FIRST, MONTH_FIRST = "dd/mm/yyyy", "mm/dd/yyyy"


@dataclass(frozen=True)
class DateFormat:
    name: str
    regex: re.Pattern[str]
    year: int  # capture groups, 1-based; no day group means the month's first day
    month: int
    day: int | None
    inferred: bool  # tried when a column's format is not declared


@dataclass(frozen=True)
class DateRules:
    formats: dict[str, DateFormat]
    months: dict[str, int]  # pt-BR month names and their three-letter abbreviations
    century_pivot: int  # a two-digit year below it is 20yy, from it 19yy

    def parse(self, text: str, fmt: DateFormat) -> date | None:
        """The date `text` means in `fmt`, or None if it does not fit or is no real day."""
        match = fmt.regex.fullmatch(text.strip().lower())
        if match is None:
            return None
        year_text, month_text = match.group(fmt.year), match.group(fmt.month)
        year = int(year_text)
        if len(year_text) == 2:
            year += 2000 if year < self.century_pivot else 1900
        month = int(month_text) if month_text.isdigit() else self.months.get(month_text)
        day = int(match.group(fmt.day)) if fmt.day else 1
        try:
            return date(year, month, day) if month else None
        except ValueError:  # 31/02, month 13
            return None

    def format(self, name: str) -> DateFormat:
        if name not in self.formats:
            raise SpecError(f"unknown date format {name!r}: one of {', '.join(self.formats)}")
        return self.formats[name]


@cache
def rules(project_dir: Path = PROJECT_ROOT) -> DateRules:
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text(encoding="utf-8"))
    declared = config["vars"]["date_formats"]
    names = config["vars"]["ptbr_months"]
    months = {name: i for i, name in enumerate(names, 1)} | {
        name[:3]: i for i, name in enumerate(names, 1)
    }
    formats = {
        name: DateFormat(
            name,
            re.compile(rule["regex"]),
            rule["year"],
            rule["month"],
            rule.get("day"),
            rule.get("inferred", True),
        )
        for name, rule in declared.items()
    }
    return DateRules(formats, months, int(config["vars"]["date_century_pivot"]))


def _ambiguous(values: Iterable[str], rules: DateRules) -> str | None:
    """A day-first value that also reads month-first, if no value settles the order."""
    day_first, month_first = rules.formats[DAY_FIRST], rules.formats[MONTH_FIRST]
    example = None
    for value in values:
        first, second = rules.parse(value, day_first), rules.parse(value, month_first)
        if first is None or second is None:
            return None  # this one fits only one order: the order is settled
        if first != second and example is None:
            example = value
    return example


def column_format(
    column: str, values: Sequence[str | None], rules: DateRules, declared: str | None = None
) -> DateFormat | None:
    """The format every value of a text column fits, None if none looks like a date at all;
    a DataError naming the column and a value for a column that is partly dates, mixes
    formats, or reads both day-first and month-first."""
    texts = sorted({v.strip().lower() for v in values if v is not None and v.strip()})
    if declared is not None:
        fmt = rules.format(declared)
        bad = next((t for t in texts if rules.parse(t, fmt) is None), None)
        if bad is not None:
            raise DataError(f"column {column!r}: {bad!r} is not a date as {fmt.name}")
        return fmt
    inferred = [f for f in rules.formats.values() if f.inferred]
    fits = {t: [f.name for f in inferred if rules.parse(t, f)] for t in texts}
    if not texts or not any(fits.values()):
        return None
    bad = next((t for t, names in fits.items() if not names), None)
    if bad is not None:
        example = next(t for t, names in fits.items() if names)
        declarable = [
            f.name for f in rules.formats.values() if all(rules.parse(t, f) for t in texts)
        ]
        fix = (
            f"declare it: --date-format {column}={declarable[0]}"
            if declarable
            else f"fix the file, or keep the column as text with --text {column}"
        )
        raise DataError(
            f"column {column!r} is partly dates ({example!r}) and partly not ({bad!r}): {fix}"
        )
    common = set.intersection(*(set(names) for names in fits.values()))
    if not common:
        first, other = texts[0], next(t for t in texts if fits[t] != fits[texts[0]])
        raise DataError(
            f"column {column!r} mixes date formats: {first!r} is {fits[first][0]}, "
            f"{other!r} is {fits[other][0]}"
        )
    fmt = rules.formats[next(f.name for f in inferred if f.name in common)]
    if fmt.name == DAY_FIRST and (example := _ambiguous(texts, rules)) is not None:
        raise DataError(
            f"column {column!r}: every value reads both as {DAY_FIRST} and as {MONTH_FIRST} "
            f"(e.g. {example!r}); declare it: --date-format {column}={DAY_FIRST}"
        )
    return fmt


def spec_date(value: object, where: str, rules: DateRules, declared: str | None = None) -> str:
    """A date written in a spec (YAML gives 2024-10-01 as a date, 01/10/2024 as text), as ISO
    text. A text that reads as two days (day first and month first) is refused unless the
    spec declares its format: a split is never set on a guess."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if declared is not None:
        day = rules.parse(text, rules.format(declared))
        if day is None:
            raise SpecError(f"{where}: {text!r} is not a date as {declared}")
        return day.isoformat()
    readings = {
        f.name: d for f in rules.formats.values() if f.inferred if (d := rules.parse(text, f))
    }
    if not readings:
        shapes = ", ".join(f.name for f in rules.formats.values() if f.inferred)
        raise SpecError(f"{where}: {text!r} is not a date ({shapes})")
    day = next(iter(readings.values()))
    other = rules.parse(text, rules.formats[MONTH_FIRST])
    if DAY_FIRST in readings and other is not None and other != day:
        raise SpecError(
            f"{where}: {text!r} is {day} day first and {other} month first: write "
            f"{day.isoformat()}, or declare split.date_format: {DAY_FIRST}"
        )
    return day.isoformat()
