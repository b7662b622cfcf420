#!/usr/bin/env bash
# Runs a command against a local BigQuery emulator (crucible-emulator, from .venv-bq):
# starts it on a free loopback port, waits for its health check, exports
# LOYALTY_BQ_EMULATOR_PORT (read by profiles.yml's bigquery_emulator target and the ml
# package), runs the command and stops the emulator by its PID whatever happens.
#   usage: scripts/with_bigquery_emulator.sh COMMAND [ARGS...]
set -euo pipefail

CRUCIBLE=${CRUCIBLE:-.venv-bq/bin/crucible}
PYTHON=${PYTHON:-python3}
LOG_DIR=${LOG_DIR:-logs}

if [[ ! -x "$CRUCIBLE" ]]; then
    echo "with_bigquery_emulator: $CRUCIBLE not found; run 'make install-bigquery-emulator'." >&2
    exit 1
fi

# A free port: bind port 0 on loopback and read what the kernel gave.
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$LOG_DIR"
log="$LOG_DIR/bigquery_emulator.log"

"$CRUCIBLE" serve --dialect bigquery --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
pid=$!
stop() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

health="http://127.0.0.1:$port/_crucible/health"
for _ in $(seq 1 100); do
    if "$PYTHON" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "$health" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "with_bigquery_emulator: the emulator exited on start; its log ($log):" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.2
done
if ! "$PYTHON" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=1)" \
    "$health" 2>/dev/null; then
    echo "with_bigquery_emulator: no answer from $health after 20 s; log: $log" >&2
    exit 1
fi
echo "with_bigquery_emulator: crucible (PID $pid) serving BigQuery on 127.0.0.1:$port"

export LOYALTY_BQ_EMULATOR_PORT=$port
"$@"
