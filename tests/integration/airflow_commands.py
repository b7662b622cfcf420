"""Airflow CLI commands for test_airflow_daily.py, one after another in one process of the
Airflow venv (`.venv-airflow/bin/python tests/integration/airflow_commands.py`).

Each command is the CLI's own: its parser, its function (`airflow dags test` runs the DAG
with the scheduler's task runner against the metadata DB, as from a shell). What one process
saves is the start: importing Airflow and building its in-process execution API took about
17 s of every `airflow dags test`, six DAG runs a session.

Protocol: one JSON object per line on stdin, {"args": [...], "log": "path"}; what the command
prints goes to that file; the answer is one JSON line on stdout, {"code": exit code}.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path


def run(parser, args: list[str], log: Path) -> int:
    """The command as `airflow ARGS` would run it, its output (and its subprocesses') in `log`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with log.open("w") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        try:
            parsed = parser.parse_args(args)
            parsed.func(parsed)
            code = 0
        except SystemExit as stop:  # `dags test` ends a failed run with SystemExit("DagRun failed")
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
            code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
        except Exception:  # the CLI would print it and exit 1
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
    return code


def main() -> None:
    from airflow.cli import cli_parser
    from airflow.configuration import write_default_airflow_configuration_if_needed

    answers = os.fdopen(os.dup(1), "w", buffering=1)  # stdout itself goes to each log
    write_default_airflow_configuration_if_needed()  # as airflow's __main__ does
    parser = cli_parser.get_parser()
    for line in sys.stdin:
        request = json.loads(line)
        code = run(parser, request["args"], Path(request["log"]))
        answers.write(json.dumps({"code": code}) + "\n")


if __name__ == "__main__":
    main()
