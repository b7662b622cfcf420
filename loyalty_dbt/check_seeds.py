"""Checks the seed CSVs before dbt reads them, naming the file and line of what is wrong.

dbt parses every seed on every command: a byte that is not UTF-8 stops even `dbt docs` with a
Python traceback that names neither file nor line, and a row with a missing field loads as
NULLs. Run before dbt (`make run` and `make test` do): `python -m loyalty_dbt.check_seeds`.
Exit 0 when every seed is UTF-8, every row has the header's number of fields and the raw
seeds' headers are the columns seeds/_raw__seeds.yml declares; else one line per problem
(the first 20) and exit 1.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import yaml

MAX_PROBLEMS = 20


def declared_columns(seeds_dir: Path) -> dict[str, list[str]]:
    config = seeds_dir / "_raw__seeds.yml"
    if not config.exists():
        return {}
    seeds = yaml.safe_load(config.read_text()).get("seeds") or []
    return {s["name"]: [c["name"] for c in s.get("columns") or []] for s in seeds}


def check_file(path: Path, declared: list[str] | None) -> list[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return [f"{path}:{line}: byte 0x{raw[err.start]:02x} is not UTF-8 (save the file as UTF-8)"]
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if not header:
        return [f"{path}:1: empty file, no header"]
    problems = []
    if declared and header != declared:
        problems.append(
            f"{path}:1: header {','.join(header)} differs from the declared columns "
            f"{','.join(declared)} (seeds/_raw__seeds.yml)"
        )
    for row in rows:
        if row and len(row) != len(header):
            problems.append(
                f"{path}:{rows.line_num}: {len(row)} fields, the header has {len(header)}"
            )
            if len(problems) >= MAX_PROBLEMS:
                break
    return problems


def check_seeds(seeds_dir: Path) -> list[str]:
    declared = declared_columns(seeds_dir)
    problems: list[str] = []
    for path in sorted(seeds_dir.rglob("*.csv")):
        problems += check_file(path, declared.get(path.stem))
    return problems[:MAX_PROBLEMS]


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    seeds_dir = Path(args[0] if args else "seeds")
    problems = check_seeds(seeds_dir)
    for problem in problems:
        print(f"seed error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
