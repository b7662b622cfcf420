"""Progress in a log or a pipe: plain timestamped lines, and a "still ..." line when a step
runs long, so `make run > log` never goes quiet for minutes."""

from __future__ import annotations

import re
import time

from ml import console as output


def test_a_pipe_gets_a_line_per_step_and_a_heartbeat(capsys):
    assert not output.console.is_terminal  # pytest captures: what a pipe sees
    with output.progress_bar() as progress:
        assert isinstance(progress, output.PlainProgress)
    with output.PlainProgress(heartbeat=0.5) as progress:
        task = progress.add_task("training churn", unit="steps")
        progress.update(task, description="churn: model selection", advance=1)
        time.sleep(2.2)  # a long grid search: the heartbeat speaks for it
        progress.update(task, description="churn: registering", advance=1)
    lines = capsys.readouterr().out.splitlines()
    assert all(re.match(r"\d\d:\d\d:\d\d ", line) for line in lines), lines
    said = [line[9:] for line in lines]
    assert said[:2] == ["training churn", "churn: model selection"]
    assert said[-1] == "churn: registering"
    still = [s for s in said if s.startswith("still churn: model selection")]
    assert 2 <= len(still) <= 4, said
