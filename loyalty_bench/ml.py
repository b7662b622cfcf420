"""`make bench` (ML part): training time and peak RSS of each shipped model on the default seeds,
and batch-scoring throughput against a bare `predict` on the same rows held in memory.

Each training runs in its own process so its peak RSS is its own. Scoring runs against a copy
of the warehouse, so the benchmark never touches the scores people look at. Results go to
bench_results/ml.json and bench_results/ml.md (git-ignored) with the machine's cores and memory.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ml.config import Settings

MODELS = ("churn", "points_next_90d")
CHILD = """
import json, resource, sys, time
from dataclasses import replace
from pathlib import Path
from ml.config import Settings
from ml.lifecycle import Context, train
settings = replace(Settings(), mlflow_tracking_uri=sys.argv[2])
start = time.perf_counter()
mv = train(Context.from_settings(settings), sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - start, "version": mv.version,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "train_rows": mv.metadata["training_data"]["rows"]}))
"""


def _memory_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3


def bench_training(tracking_uri: str) -> dict:
    out = {}
    for name in MODELS:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, name, tracking_uri],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"training {name} failed:\n{proc.stderr[-2000:]}")
        out[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"trained {name}: {out[name]['seconds']:.1f} s, {out[name]['peak_rss_mb']:.0f} MB")
    return out


def bench_scoring(settings: Settings) -> dict:
    from ml.lifecycle import Context, resolve_and_check
    from ml.scoring import score
    from ml.training import feature_frame, predict

    ctx = Context.from_settings(settings)
    out = {}
    for name in MODELS:
        spec = ctx.spec(name)
        model = ctx.registry.load_model(ctx.registry.get_version(name))
        source = resolve_and_check(ctx, spec)
        columns = list(dict.fromkeys([*spec.id_columns, spec.time_column, *spec.features]))
        X = feature_frame(ctx.warehouse.read_frame(source.relation, columns), spec)
        start = time.perf_counter()
        predict(model, spec, X)
        bare = time.perf_counter() - start
        start = time.perf_counter()
        result = score(ctx, name, where="true")  # every row: a measurable volume
        full = time.perf_counter() - start
        out[name] = {
            "rows": result.rows,
            "score_rows_per_s": result.rows / full,
            "bare_predict_rows_per_s": len(X) / bare,
            "bare_over_score": (len(X) / bare) / (result.rows / full),
        }
        print(
            f"scored {name}: {out[name]['score_rows_per_s']:,.0f} rows/s end to end, "
            f"bare predict {out[name]['bare_predict_rows_per_s']:,.0f} rows/s"
        )
    return out


def main() -> None:
    settings = Settings()
    if not settings.duckdb_path.exists() or not settings.manifest_path.exists():
        raise SystemExit("no warehouse or dbt manifest: run `make run` first")
    results_dir = settings.project_dir / "bench_results"
    results_dir.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tracking_uri = f"sqlite:///{Path(tmp) / 'mlflow.db'}"
        training = bench_training(tracking_uri)
        copy = Path(tmp) / "bench.duckdb"
        shutil.copy(settings.duckdb_path, copy)
        scoring = bench_scoring(
            replace(settings, duckdb_path=copy, mlflow_tracking_uri=tracking_uri)
        )
    report = {
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": round(_memory_gb(), 1),
            "python": platform.python_version(),
        },
        "training": training,
        "scoring": scoring,
    }
    (results_dir / "ml.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        f"# ML benchmark ({report['machine']['cores']} cores, {report['machine']['memory_gb']} GB)",
        "",
        "| model | train rows | train s | peak RSS MB | scored rows | score rows/s "
        "| bare predict rows/s | bare/score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in MODELS:
        t, s = training[name], scoring[name]
        lines.append(
            f"| {name} | {t['train_rows']:,} | {t['seconds']:.1f} | {t['peak_rss_mb']:.0f} | "
            f"{s['rows']:,} | {s['score_rows_per_s']:,.0f} | {s['bare_predict_rows_per_s']:,.0f} | "
            f"{s['bare_over_score']:.2f} |"
        )
    (results_dir / "ml.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
